"""Everything is in pyproject.toml; this file only keeps the developer-only generators of
conformance/ (vectors, the tiny model, the fuzzer) out of the wheel, which pyproject.toml cannot
say for modules."""

from setuptools import setup
from setuptools.command.build_py import build_py

DEV_ONLY = {("ssgc_conformance", "make_vectors"), ("ssgc_conformance", "make_tiny_model"),
            ("ssgc_conformance", "fuzz")}


class BuildPyWithoutGenerators(build_py):
    def find_package_modules(self, package, package_dir):
        return [m for m in super().find_package_modules(package, package_dir) if (m[0], m[1]) not in DEV_ONLY]


setup(cmdclass={"build_py": BuildPyWithoutGenerators})
