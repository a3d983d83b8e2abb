"""What the hotline's calls say in aggregate: complaint clusters, topics and routing, repeat calls, deadlines.

Plain functions over small records; storage/complaint_clusters.py keeps the results, pipelines/ schedules them.
"""
