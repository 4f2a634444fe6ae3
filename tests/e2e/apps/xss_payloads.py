"""Hostile strings for the XSS tests: each sets ``window.__xss`` to its tag if it runs.

Shared by ``xss_app.py`` (which puts them in pages) and ``test_xss.py`` (which checks
they show as text).
"""


def img(tag):
    """Runs through ``innerHTML``: the image fails to load and ``onerror`` fires."""
    return f"<img src=x onerror=\"window.__xss='{tag}'\">"


def script(tag):
    """Runs only if written into the document as markup by the parser."""
    return f"<script>window.__xss='{tag}'</script>"


def svg(tag):
    """Breaks out of an attribute value, then runs through ``onload``."""
    return f'"><svg onload="window.__xss=\'{tag}\'"></svg>'


CATEGORIES = [img("category"), script("category"), svg("category")]
