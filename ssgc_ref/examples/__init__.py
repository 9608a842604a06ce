"""Example images that ship with ssgc-ref (provenance and licences in README.md)."""

from importlib import resources

LANDSCAPE = "landscape-keong-macan.jpg"


def example_path(name: str = LANDSCAPE):
    """Path of a bundled example image (a Traversable usable with open())."""
    return resources.files(__name__).joinpath(name)
