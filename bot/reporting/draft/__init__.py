"""The policy draft: built from stored answers and `content/`, rendered to Markdown and Word."""
