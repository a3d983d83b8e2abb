"""Personal data of callers: finding and masking it in text and transcripts, and the checks behind that."""
