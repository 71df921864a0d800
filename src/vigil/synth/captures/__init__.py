"""Captured pages with known truth, shared by the §3 and §4 worlds.

``brands.py`` (distributors, template families, brands), ``schedule.py`` (when each URL is
captured and what each page carries), ``identifiers.py`` (the fictional key identifiers),
``pages.py`` (the HTML), ``files.py`` (manifest folder and WARC), ``truth.py`` (the §4
ground truth from the generator's own labels) and ``build.py`` (all of it, from the URLs
to capture to the files and the truth).
"""
