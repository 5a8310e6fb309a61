"""Task supervision (督办): assignments, progress, urging, overdue, statistics by unit."""
