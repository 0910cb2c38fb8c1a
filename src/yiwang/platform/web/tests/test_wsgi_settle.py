"""A gunicorn worker's start-up (``yiwang.config.wsgi``): the URL configuration is loaded and what start-up made
is frozen out of the cyclic garbage collector's reach, so that a full collection in the middle of a request walks
only the objects made since (docs/architecture.md, Serving). Run in a fresh interpreter, as a worker would be."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .test_run import SRC

PROBE = """
import gc, json, sys
import yiwang.config.wsgi
frozen = gc.get_freeze_count()
walked = len(gc.get_objects())  # the generations a collection walks (the frozen objects are not in them)
print(json.dumps({"frozen": frozen, "walked": walked, "urls": "yiwang.config.urls" in sys.modules}))
"""


def test_a_worker_freezes_what_start_up_made(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    env.update(
        YIWANG_PROFILE="embedded",
        YIWANG_DATA_DIR=str(tmp_path),
        PYTHONPATH=os.pathsep.join([SRC, *filter(None, [os.environ.get("PYTHONPATH")])]),
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "yiwang.config.settings"),
    )
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["urls"], "the URL configuration (every view and API module) is loaded at start-up"
    # start-up makes a few hundred thousand objects; after the freeze a collection walks almost none of them
    assert seen["frozen"] > 100_000, seen
    assert seen["walked"] < seen["frozen"] // 20, seen
