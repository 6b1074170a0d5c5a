"""Worker that ingests League of Legends match files and classifies player roles."""
