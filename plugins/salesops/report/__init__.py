"""What a night did: the printed summary, the HTML page, the failure alert."""
