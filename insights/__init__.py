"""What the hotline's calls say in aggregate: complaint clusters, topics and routing, repeat calls, deadlines.

Plain functions over small records; storage/insights.py keeps the results, pipelines/ schedules them.
"""
