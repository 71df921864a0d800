"""The compiled parts of Vigil: the skeleton walk of the template fingerprint, and the LSH
band keys of the template index, in C.

Everything else is in pyproject.toml. Both extensions are optional: when they cannot be
built (no C compiler or no Python headers) the install still succeeds and Vigil uses the
pure-Python code, which gives the same results (docs/fingerprint.md, "The compiled walk";
``vigil.attribute.templates.BandKeys``). The band keys use the xxHash header vendored in
``src/vigil/attribute/_vendor/xxhash`` (BSD-2-Clause, unmodified).
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("vigil.attribute._walk", ["src/vigil/attribute/_walk.c"], optional=True),
    Extension("vigil.attribute._bands", ["src/vigil/attribute/_bands.c"], include_dirs=["src/vigil/attribute"],
              depends=["src/vigil/attribute/_vendor/xxhash/xxhash.h"], optional=True),
])
