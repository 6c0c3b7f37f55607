"""What is deployed where and since when, read from git objects."""
