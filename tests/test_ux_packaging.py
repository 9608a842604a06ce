"""Packaging (issue 11 points 1 and 9): a light core without torch, declared imports, the wheel's
contents. The fresh-venv install itself is `scripts/light_install.sh` (run by scripts/test.sh)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]

# import name -> distribution name, for the third-party modules the packages import
DISTRIBUTIONS = {"PIL": "pillow", "skimage": "scikit-image", "av": "av", "scipy": "scipy", "numpy": "numpy",
                 "construct": "construct", "constriction": "constriction", "tqdm": "tqdm", "torch": "torch",
                 "diffusers": "diffusers", "safetensors": "safetensors", "onnxruntime": "onnxruntime",
                 "ray": "ray", "torchmetrics": "torchmetrics", "matplotlib": "matplotlib", "numba": "numba"}
DIFFUSION = {"torch", "diffusers", "safetensors"}


def _dist(req: str) -> str:
    for sep in "<>=!~[; ":
        req = req.split(sep)[0]
    return req.strip().lower()


def _third_party_imports(folder: str) -> set[str]:
    out = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                out.add(node.module.split(".")[0])
    return {m for m in out if m not in sys.stdlib_module_names and m not in ("ssgc_format", "ssgc_ref", "conformance")}


def test_the_diffusion_stack_is_an_extra_not_a_requirement():
    core = {_dist(r) for r in PROJECT["dependencies"]}
    assert not core & DIFFUSION
    assert {_dist(r) for r in PROJECT["optional-dependencies"]["diffusion"]} == DIFFUSION
    assert "mypy" in {_dist(r) for r in PROJECT["optional-dependencies"]["test"]}


def test_every_imported_package_is_declared():
    core = {_dist(r) for r in PROJECT["dependencies"]}
    extras = {_dist(r) for reqs in PROJECT["optional-dependencies"].values() for r in reqs}
    for folder in ("ssgc_format", "ssgc_ref"):
        for module in _third_party_imports(folder):
            assert module in DISTRIBUTIONS, f"{folder} imports {module}: add it to DISTRIBUTIONS and pyproject"
            dist = DISTRIBUTIONS[module]
            assert dist in core | extras, f"{folder} imports {module} ({dist}), not declared in pyproject.toml"
    # ssgc_format, what a third-party decoder installs, needs nothing beyond the core
    assert {DISTRIBUTIONS[m] for m in _third_party_imports("ssgc_format")} <= core


def test_license_file_and_metadata():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and PROJECT["license"] == "MIT"
    assert "LICENSE" in PROJECT["license-files"]
    assert "urls" not in PROJECT or all(u.startswith("https://") for u in PROJECT["urls"].values())
    assert any(c.startswith("Programming Language :: Python :: 3") for c in PROJECT["classifiers"])
    assert (ROOT / "ssgc_ref" / "py.typed").exists() and (ROOT / "ssgc_format" / "py.typed").exists()


def test_every_package_folder_is_in_the_wheel_list_and_conformance_is_namespaced():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    for top in ("ssgc_format", "ssgc_ref"):
        for init in (ROOT / top).rglob("__init__.py"):
            name = ".".join(init.parent.relative_to(ROOT).parts)
            assert name in listed, f"package {name} is missing from [tool.setuptools] packages"
    assert "conformance" not in listed and "ssgc_conformance" in listed
    assert PYPROJECT["tool"]["setuptools"]["package-dir"]["ssgc_conformance"] == "conformance"


def test_wheel_has_no_generic_conformance_package_nor_the_generators(tmp_path):
    """Build the wheel (no dependencies, no isolation: a second or two) and read its file list."""
    import shutil
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("ssgc_format", "ssgc_ref", "conformance"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(src),
                        "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    if p.returncode != 0 and "No module named pip" in p.stderr:
        pytest.skip("pip is not available")
    assert p.returncode == 0, p.stderr[-2000:]
    names = zipfile.ZipFile(next((tmp_path / "dist").glob("*.whl"))).namelist()
    assert not [n for n in names if n.startswith("conformance/")]
    for dev_only in ("make_vectors.py", "make_tiny_model.py", "fuzz.py", "make_generation_vectors.py"):
        assert not [n for n in names if n.endswith("/" + dev_only)], dev_only
    for needed in ("ssgc_conformance/runner.py", "ssgc_conformance/vectors.json",
                   "ssgc_conformance/models/tiny/ssgc-model.json", "ssgc_format/data/cocostuff-182.tsv",
                   "ssgc_ref/py.typed", "ssgc_ref/examples/landscape-keong-macan.jpg"):
        assert needed in names, needed
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


BLOCK_DIFFUSION = """
import sys
for name in ("torch", "diffusers", "safetensors"):
    sys.modules[name] = None  # `import torch` raises ImportError, as without the extra
"""


def _run_without_torch(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_DIFFUSION + code], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_info_encode_and_preview_decode_never_import_torch(tmp_path):
    from PIL import Image

    from conformance.make_vectors import synthetic_image

    Image.fromarray(synthetic_image(64, 48, 2)).save(tmp_path / "in.png")
    tiny = ROOT / "conformance" / "vectors" / "tiny-model-64x48.ssgc"
    code = f"""
from ssgc_ref.cli import main
assert main(["encode", "in.png", "-o", "in.ssgc", "--roi", "8,8,16,16", "--quiet"]) == 0
assert main(["info", "in.ssgc"]) == 0
assert main(["decode", "in.ssgc", "-o", "out.png", "-q"]) == 0
assert main(["decode", {str(tiny)!r}, "-o", "tiny.png"]) == 0          # auto: the preview, saying why
assert main(["decode", {str(tiny)!r}, "-o", "ldm.png", "--generator", "ldm"]) == 4
import ssgc_ref
assert ssgc_ref.decode("in.ssgc").generator == "preview"
assert [m for m in ("torch", "diffusers", "safetensors") if sys.modules.get(m) is not None] == []
"""
    p = _run_without_torch(code, tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "pip install 'ssgc[diffusion]'" in p.stdout  # the note of the auto decode
    assert "ssgc[diffusion]" in p.stderr  # the ModelError of --generator ldm
    assert (tmp_path / "out.png").exists() and not (tmp_path / "ldm.png").exists()


def test_scripts_install_everything_and_ci_runs_the_light_install():
    env = (ROOT / "scripts" / "env.sh").read_text()
    assert "[diffusion,test,bench]" in env and "torch==" in env
    test = (ROOT / "scripts" / "test.sh").read_text()
    assert "light_install.sh" in test and "mypy --strict" in test
    light = (ROOT / "scripts" / "light_install.sh").read_text()
    assert "pip install" in light and "[diffusion]" not in light.split("pip install", 1)[1].split("\n")[0]


BENCHMARKS = ROOT / "benchmarks"
# every benchmark that writes results; each takes --out DIR (benchmarks/results_dir.py)
BENCHMARKS_WITH_OUT = ("batch_throughput", "bitstream", "colormap", "diffusion_speed", "hostile_decode", "labelmap",
                       "labelmap_ablation", "mask", "roi_aware_demo", "roi_vs_vvc", "sampler_convergence",
                       "segmentation", "unet_overhead", "vq_channels_last", "vvc_anchor", "vvc_presets",
                       "vvc_speed")
WRITES = (".write_text(", ".write_bytes(", "json.dump(", ".savefig(", '"w")', '"wb")')
HEAVY = {"torch", "diffusers"}  # imported at the top: --help alone would take seconds


def _tree(name: str) -> ast.Module:
    return ast.parse((BENCHMARKS / f"{name}.py").read_text())


def test_every_benchmark_that_writes_results_is_listed():
    writers = {p.stem for p in BENCHMARKS.glob("*.py") if p.stem != "results_dir"
               and any(w in p.read_text() for w in WRITES)}
    assert writers == set(BENCHMARKS_WITH_OUT)


@pytest.mark.parametrize("name", BENCHMARKS_WITH_OUT)
def test_benchmarks_write_to_the_folder_named_by_out(name):
    """Each takes --out DIR from results_dir (whose default folder is ignored by git) and names no
    path into the committed benchmarks/results/ itself: that folder is only written when asked with
    --out benchmarks/results."""
    tree = _tree(name)
    helpers = {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "results_dir"
               for a in node.names}
    assert helpers & {"add_out_argument", "results_dir"}, "no --out DIR from results_dir"
    doc = ast.get_docstring(tree, clean=False)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and n.value != doc]
    assert not [v for v in strings if "benchmarks/results" in v], "a path into benchmarks/results"
    # ... nor builds one: `HERE / "results"`, `os.path.join(HERE, "results")`, `.with_name("results")`
    parts = [n.right for n in ast.walk(tree) if isinstance(n, ast.BinOp)] + \
            [a for n in ast.walk(tree) if isinstance(n, ast.Call) for a in n.args]
    assert not [a for a in parts if isinstance(a, ast.Constant) and a.value == "results"], "a path into results/"
    assert doc and "--out" in doc, "the docstring does not say where it writes"
    top = {a.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for a in node.names} | \
          {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    if not top & HEAVY:
        p = subprocess.run([sys.executable, str(BENCHMARKS / f"{name}.py"), "--help"], capture_output=True,
                           text=True, timeout=120, cwd=ROOT)
        assert p.returncode == 0 and "--out" in p.stdout, p.stderr[-1000:]


def test_results_path_and_the_old_file_form_of_out(tmp_path):
    import argparse

    sys.path.insert(0, str(BENCHMARKS))
    try:
        from results_dir import DEFAULT, add_out_argument, results_file, results_path
    finally:
        sys.path.pop(0)
    ap = argparse.ArgumentParser()
    add_out_argument(ap)
    assert ap.parse_args([]).out == DEFAULT
    args = ap.parse_args(["--out", str(tmp_path / "a" / "b")])
    assert results_path(args, "x.json") == tmp_path / "a" / "b" / "x.json" and (tmp_path / "a" / "b").is_dir()
    assert results_file(args, "x.json") == tmp_path / "a" / "b" / "x.json"
    old = ap.parse_args(["--out", str(tmp_path / "c" / "mine.json")])  # vvc_anchor/vvc_presets' earlier --out FILE
    assert results_file(old, "x.json") == tmp_path / "c" / "mine.json" and (tmp_path / "c").is_dir()


def test_default_results_folder_is_ignored_by_git():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from results_dir import DEFAULT
    finally:
        sys.path.pop(0)
    assert DEFAULT.relative_to(ROOT).parts[0] == "out" and "/out/" in (ROOT / ".gitignore").read_text()


def test_a_segmenter_needing_torch_names_the_extra(tmp_path):
    from PIL import Image

    from conformance.make_vectors import synthetic_image

    Image.fromarray(synthetic_image(32, 32, 1)).save(tmp_path / "in.png")
    (tmp_path / "w.pth").write_bytes(b"x")
    code = """
from ssgc_ref.cli import main
sys.exit(main(["encode", "in.png", "-o", "x.ssgc", "--segmenter", "deeplab-v2", "--segmenter-weights", "w.pth"]))
"""
    p = _run_without_torch(code, tmp_path)
    assert p.returncode == 4 and "ssgc[diffusion]" in p.stderr and "Traceback" not in p.stderr, p.stderr[-2000:]
