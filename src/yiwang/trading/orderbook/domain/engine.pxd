# C types for the compiled build of engine.py (an "augmenting" .pxd: engine.py stays plain Python and is the
# only source of logic). tools/build_native.py compiles engine.py with this file; engines.py loads the result
# only while both files are the ones it was built from.
#
# What is a C type and why it cannot overflow:
# - price-level indices and the best cursors (Py_ssize_t): 0 <= index < n, n = the number of levels, the length
#   of a list in memory; the cursors are -1 .. n.
# - flags (bint).
# - price-level totals (long long, a memoryview of the array('q') engine.py builds): sums of open quantities,
#   0 <= total <= LEVEL_TOTAL_MAX = 2**63 - 1 because the engine refuses an order or amendment that would push a
#   level past it (orderbook.level_total_limit); matching and cancels only lower a total. qn, the quantity of an
#   order on run's fast path, is below that bound (the fast path's max_qty is min(listing maximum, 2**63 - 1)).
# - in run, a price and the day's lower limit and tick as long long (pc, lo_c, tick_c) only while the day's upper
#   limit is at most 2**63 - 1 (c_prices): every price it converts is a resting order's price or one already
#   checked to lie within the limits; otherwise the level index is computed on Python ints.
# Everything else stays a Python int: prices, quantities, amounts (price x quantity), balances, ids and times.
# The rules catalogue bounds none of them by a C type's range (a listing maximum, a reference price and an
# account's balance are whatever the catalogue and the deposits say), so arbitrary precision is kept.
# Container types (list, dict, set, bytearray) let Cython call their C API directly; a wrong type assigned to
# one raises TypeError, as no code path does. A command of run's batch is a tuple (journal.decode, place,
# cancel and the bench build tuples); a level's queue is a dict (so its set/delete are PyDict_* calls).

cimport cython


cdef class MarketEngine:
    cdef public dict accounts, orders, proposals, repos
    cdef public set seen
    cdef public list bids, asks, fills, removed, notes, d_kind_vol, d_kind_val
    cdef public long long[:] bq, aq
    cdef public bytearray bm, am
    cdef public Py_ssize_t best_bid, best_ask, n
    cdef public bint listing
    cdef public object code, mode, phase, rules, day, now, last_close, reference
    cdef public object lo, hi, tick, lot, max_qty, block_lo, block_hi
    cdef public object next_oid, next_tid, next_pid, next_rid
    cdef public object d_open, d_high, d_low, d_vol, d_val, d_trades

    cdef _release(self, list o, object qty)

    @cython.locals(
        idx=Py_ssize_t, best_bid=Py_ssize_t, best_ask=Py_ssize_t, n=Py_ssize_t,
        accepting=bint, listing=bint, any_lot=bint, any_tick=bint,
        level_max="long long", qn="long long", c_prices=bint, lo_c="long long", tick_c="long long", pc="long long",
        out=list, orders=dict, accounts=dict, seen=set,
        bids=list, asks=list, bq="long long[:]", aq="long long[:]", bm=bytearray, am=bytearray,
        o=list, acct=list, c=tuple, level=dict,
    )
    cpdef list run(self, list batch, object now)

    @cython.locals(
        i=Py_ssize_t, n=Py_ssize_t, asks=list, aq="long long[:]", am=bytearray, orders=dict, fills=list,
        acct=list, level=dict, done=list, m=list, ma=list,
    )
    cdef _match_buy(self, list o, Py_ssize_t limit_idx)

    @cython.locals(
        i=Py_ssize_t, bids=list, bq="long long[:]", bm=bytearray, orders=dict, fills=list,
        acct=list, level=dict, done=list, m=list, ma=list,
    )
    cdef _match_sell(self, list o, Py_ssize_t limit_idx)

    cdef _add_stats(self, object count, object vol, object val, object first, object high, object low)
