"""Prefect flows and tasks: the only package that knows about Prefect."""
