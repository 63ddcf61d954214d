"""Text rules: normalization, paper identity (arXiv ids, title keys), links and keywords."""
