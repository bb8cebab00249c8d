"""A run directory: its file names, its status and pointer files, the artifacts it leaves."""
