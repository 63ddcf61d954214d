"""Publish: Datasette metadata, serving and plugin (the pages), exports, analysis, report."""
