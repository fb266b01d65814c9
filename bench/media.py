"""Media benchmark: 12 MP JPEGs through a real `pnyx serve`'s upload path.

    .venv/bin/python bench/media.py                 # SQLite, 6 images per mode
    .venv/bin/python bench/media.py --images 12 --database postgres

What it measures, all in one run:
- **baseline**: Pillow alone, in this process, decoding the upload and encoding it again as
  JPEG (quality 90): the work no image pipeline can avoid;
- **core**: `pnyx.core.image_processing.process` in this process (probe, decode, orientation,
  resize to Mastodon's 8.3 MP, encode, preview, blurhash), without HTTP, database or job;
- **server**: the real upload path of a `pnyx serve` subprocess, through HTTP with the
  `Mastodon.py`-shaped multipart body:
  - `POST /api/v1/media` one at a time (processed in the request: one image's full cost);
  - `POST /api/v2/media` then polling `GET /api/v1/media/:id` until it answers 200 (the
    `media.process` job of the in-process worker), one at a time and 4 at a time;
  with the peak RSS of the server while processing (sampled every 10 ms from /proc) and its
  idle RSS before the first upload.

The image is made with Pillow: 4000x3000, a gradient under random noise (so that it
compresses like a photograph, not like a flat colour), with EXIF as a phone writes it
(orientation 6, a GPS position, make and model).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

import streaming  # noqa: E402  (the one-poster data builder)
import timeline  # noqa: E402  (the server runner, RSS, databases)
from pnyx.config import Settings  # noqa: E402
from pnyx.core import image_processing  # noqa: E402

DATA_DIR = timeline.DATA_DIR
IDLE_TARGET_MB = 120


def make_image(width: int = 4000, height: int = 3000, seed: int = 7) -> bytes:
    """A 12 MP JPEG that compresses like a photograph, with a phone's EXIF (GPS included)."""
    rng_bytes = __import__("random").Random(seed).randbytes(width * height * 3)
    noise = Image.frombytes("RGB", (width, height), rng_bytes)
    gradient = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize((width, height)),
            Image.radial_gradient("L").resize((width, height)),
            Image.linear_gradient("L").rotate(90).resize((width, height)),
        ),
    )
    image = Image.blend(gradient, noise, 0.25)
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"  # Make
    exif[0x0110] = "Model 12"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 CW to view
    exif[0x8825] = {  # GPS IFD
        1: "N",
        2: (52.0, 22.0, 12.5),
        3: "E",
        4: (4.0, 53.0, 30.25),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def pillow_baseline(data: bytes) -> float:
    started = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    image.load()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return time.perf_counter() - started


def core_process(settings: Settings, data: bytes) -> float:
    started = time.perf_counter()
    image_processing.process(settings, data)
    return time.perf_counter() - started


class RssSampler:
    """The peak RSS of a process tree, sampled every `every` seconds in a thread."""

    def __init__(self, pid: int, every: float = 0.01):
        self.pid = pid
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, timeline.process_tree_rss(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def upload(client: httpx.Client, data: bytes, version: int) -> float:
    """One upload, waited for until processed; seconds it took."""
    started = time.perf_counter()
    answer = client.post(
        f"/api/v{version}/media",
        files={"file": (f"{uuid.uuid4().hex}.jpg", data, "image/jpeg")},
        data={"description": "A benchmark photograph"},
    )
    if answer.status_code not in (200, 202):
        raise SystemExit(f"upload answered {answer.status_code}: {answer.text[:300]}")
    media_id = answer.json()["id"]
    while answer.status_code != 200:
        time.sleep(0.02)
        answer = client.get(f"/api/v1/media/{media_id}")
        if answer.status_code not in (200, 206):
            raise SystemExit(f"media answered {answer.status_code}: {answer.text[:300]}")
    body = answer.json()
    if not body.get("blurhash") or not body.get("meta", {}).get("original"):
        raise SystemExit(f"processed media without blurhash or meta: {body}")
    return time.perf_counter() - started


def server_mode(port: int, token: str, data: bytes, *, version: int, parallel: int, count: int,
                pid: int) -> dict:  # fmt: skip
    def client() -> httpx.Client:
        return httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )

    clients = [client() for _ in range(parallel)]
    upload(clients[0], data, version)  # warm-up, not measured
    with RssSampler(pid) as sampler, ThreadPoolExecutor(parallel) as pool:
        started = time.perf_counter()
        futures = [pool.submit(upload, clients[i % parallel], data, version) for i in range(count)]
        times = [f.result() for f in futures]
        elapsed = time.perf_counter() - started
    for c in clients:
        c.close()
    return {
        "images_per_second": count / elapsed,
        "median_seconds": statistics.median(times),
        "peak_rss_mb": sampler.peak / 2**20,
    }


def run(kind: str, args, data: bytes) -> dict:
    url, manifest = streaming.prepare(kind, "media", 0, args.postgres_url, args.rebuild)
    token = manifest["tokens"][0]
    media_dir = DATA_DIR / "media"  # the local store of PNYX_DATA_DIR (bench/data)
    server = timeline.Server(url, 1, DATA_DIR / f"serve-media-{kind}.log")
    result: dict = {"database": kind, "modes": {}}
    try:
        server.wait_ready()
        time.sleep(2)
        pid = server.process.pid
        result["idle_rss_mb"] = timeline.process_tree_rss(pid) / 2**20
        print(f"[{kind}] pnyx serve idle RSS {result['idle_rss_mb']:.0f} MB")
        modes = [("v1, 1 at a time", 1, 1), ("v2 + job, 1 at a time", 2, 1)]
        modes.append((f"v2 + job, {args.parallel} at a time", 2, args.parallel))
        settings = Settings(domain=timeline.DOMAIN, database_url=url)
        for round_ in range(args.rounds):
            # In-process figures between the server's, so that drifting load hits both.
            base = [pillow_baseline(data) for _ in range(args.images)]
            core = [core_process(settings, data) for _ in range(args.images)]
            for key, times in (("baseline", base), ("core", core)):
                result["modes"].setdefault(key, []).append(
                    {"images_per_second": 1 / statistics.median(times),
                     "median_seconds": statistics.median(times), "peak_rss_mb": None}
                )  # fmt: skip
                print(f"  [{kind} #{round_ + 1}] {key}: {1 / statistics.median(times):.2f} img/s")
            for label, version, parallel in modes:
                r = server_mode(server.port, token, data, version=version, parallel=parallel,
                                count=args.images, pid=pid)  # fmt: skip
                r["load"] = os.getloadavg()[0]
                result["modes"].setdefault(label, []).append(r)
                print(f"  [{kind} #{round_ + 1}] {label}: {r['images_per_second']:.2f} img/s, "
                      f"median {r['median_seconds']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB")  # fmt: skip
        time.sleep(2)
        result["after_rss_mb"] = timeline.process_tree_rss(pid) / 2**20
        time.sleep(8)
        result["settled_rss_mb"] = timeline.process_tree_rss(pid) / 2**20
    finally:
        server.stop()
        shutil.rmtree(media_dir, ignore_errors=True)
    return result


def markdown(results: list[dict], args, data: bytes, load: tuple[float, float]) -> str:
    lines = [
        f"Media benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; a "
        f"4000x3000 JPEG of {len(data) / 2**20:.1f} MB with EXIF (GPS, orientation 6); "
        f"{args.images} images per mode, {args.rounds} rounds interleaved; 1-minute load "
        f"average {load[0]:.1f} before, {load[1]:.1f} after",
        "",
        "| database | path | img/s (per round) | median s per image | vs baseline | peak RSS MB |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for res in results:
        base = statistics.mean(r["images_per_second"] for r in res["modes"]["baseline"])
        for label, rounds in res["modes"].items():
            rates = " / ".join(f"{r['images_per_second']:.2f}" for r in rounds)
            rate = statistics.mean(r["images_per_second"] for r in rounds)
            median = statistics.median(r["median_seconds"] for r in rounds)
            peaks = [r["peak_rss_mb"] for r in rounds if r["peak_rss_mb"] is not None]
            peak = f"{max(peaks):.0f}" if peaks else "-"
            ratio = "= 100%" if label == "baseline" else f"{rate / base * 100:.0f}%"
            lines.append(
                f"| {res['database']} | {label} | {rates} | {median:.2f} | {ratio} | {peak} |"
            )
    lines.append("")
    for res in results:
        lines.append(
            f"- {res['database']}: idle RSS of pnyx serve {res['idle_rss_mb']:.0f} MB "
            f"(target < {IDLE_TARGET_MB} MB) before the first upload; {res['after_rss_mb']:.0f} "
            f"MB 2 s after the last, {res['settled_rss_mb']:.0f} MB 10 s after"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=6, help="images per mode and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=4, help="uploads in flight (v2)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("PNYX_BENCH_DATABASE_URL", streaming.DEFAULT_PG))  # fmt: skip
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    data = make_image()
    print(f"made a 4000x3000 JPEG of {len(data) / 2**20:.1f} MB")
    load_before = os.getloadavg()[0]
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results = [run(kind, args, data) for kind in kinds]
    report = markdown(results, args, data, (load_before, os.getloadavg()[0]))
    print()
    print(report)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "report": report}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
