"""Analysis helpers: the lol-data database as pandas DataFrames."""
