"""Does the cited paper say it? (filled in below)"""
