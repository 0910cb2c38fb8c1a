"""Bid box: time to submit (check, store, receipt) and to open (decrypt, store) one large envelope.

    YIWANG_DATA_DIR=$(mktemp -d) \
        .venv/bin/python bench/bidbox_bench.py [--mb 50]

Uses a fresh database in the data directory (migrated here) and a manual clock; prints seconds per step. The
submission's action holds the database write lock (SQLite) while the envelope is copied into the store; the
decryption runs outside any transaction and only the storing of the plaintext is inside one.
"""

from __future__ import annotations

import argparse
import io
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from yiwang.catalog.reference import ensure_reference_data
    from yiwang.identity.ca.tests.support import T0
    from yiwang.kernel.actors import Actor
    from yiwang.kernel.clock import ManualClock
    from yiwang.kernel.crypto import envelope
    from yiwang.platform.clock import use_clock
    from yiwang.platform.reference import ensure_all
    from yiwang.services.bidbox import actions
    from yiwang.services.bidbox.tests import support

    ensure_reference_data()
    ensure_all()
    clock = ManualClock(T0)
    with use_clock(clock):
        world = support.make_world(Actor.system("bench"))
        key = support.ceremony(world.staff_actor).key
        box = support.open_box(world.staff_actor, key, ref=f"BENCH-{time.time_ns()}", min_rule="judicial.min_bidders")
        plaintext = os.urandom(args.mb << 20)
        started = time.perf_counter()
        sealed = support.seal_for(box, world.a, plaintext, file_name="bid.bin")
        sealed_s = time.perf_counter() - started
        started = time.perf_counter()
        sub = actions.do_submit_envelope(
            actor=world.a.actor, box_id=box.pk, entity_id=world.a.entity_id, stream=io.BytesIO(sealed)
        )
        submit_s = time.perf_counter() - started
        clock.set(support.DEADLINE)
        actions.do_start_opening(actor=world.staff_actor, box_id=box.pk)
        cek = envelope.unwrap_content_key(sealed, private_key=world.a.issued.key)
        started = time.perf_counter()
        result = actions.do_decrypt_with_content_key(actor=world.a.actor, submission_id=sub.pk, content_key=cek)
        open_s = time.perf_counter() - started
        assert result.ok
    print(f"{args.mb} MB bid: seal {sealed_s:.2f} s, submit {submit_s:.2f} s, decrypt+store {open_s:.2f} s")


if __name__ == "__main__":
    main()
