"""A naive O(n) model of the carbon market's book and accounts, written for clarity, not speed.

Every order is a dict in one list; the best opposite order is found by sorting on (price, arrival) each
time. The property tests feed the same commands to this model and to the engine and compare trades,
refusal codes, the book (in priority order) and every account after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BUY, SELL = 0, 1
LIMIT, MARKET, IOC, FOK = 0, 1, 2, 3
LEVEL_TOTAL_MAX = 2**63 - 1  # the engine's technical limit on the open quantity at one price on one side


@dataclass
class Model:
    mode: str  # "continuous" | "listing"
    lo: int
    hi: int
    tick: int = 1
    lot: int = 1
    max_qty: int = 100_000
    levels: int = 5
    orders: list[dict] = field(default_factory=list)  # live orders; "seq" gives time priority
    accounts: dict[int, list[int]] = field(default_factory=dict)  # [cash, cash_frozen, allow, allow_frozen]
    trades: list[tuple] = field(default_factory=list)
    removed: list[tuple] = field(default_factory=list)
    seen: set = field(default_factory=set)
    next_oid: int = 1
    next_tid: int = 1
    seq: int = 0

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _side_orders(self, side: int) -> list[dict]:
        """Live orders of a side in priority order."""
        own = [o for o in self.orders if o["side"] == side]
        if side == BUY:
            return sorted(own, key=lambda o: (-o["price"], o["seq"]))
        return sorted(own, key=lambda o: (o["price"], o["seq"]))

    def book(self, side: int) -> list[tuple]:
        return [(o["oid"], o["owner"], o["price"], o["open"]) for o in self._side_orders(side)]

    def _best(self, side: int) -> int | None:
        prices = [o["price"] for o in self.orders if o["side"] == side]
        if not prices:
            return None
        return max(prices) if side == BUY else min(prices)

    def _release(self, o: dict, qty: int) -> None:
        a = self.accounts[o["owner"]]
        if o["side"] == BUY:
            a[0] += o["price"] * qty
            a[1] -= o["price"] * qty
        else:
            a[2] += qty
            a[3] -= qty

    def _rest(self, o: dict) -> None:
        a = self.accounts[o["owner"]]
        if o["side"] == BUY:
            a[0] -= o["price"] * o["open"]
            a[1] += o["price"] * o["open"]
        else:
            a[2] -= o["open"]
            a[3] += o["open"]
        self.seq += 1
        o["seq"] = self.seq
        self.orders.append(o)

    def level_total(self, side: int, price: int) -> int:
        return sum(o["open"] for o in self.orders if o["side"] == side and o["price"] == price)

    def _crosses(self, side: int, price: int, other: dict) -> bool:
        return other["price"] <= price if side == BUY else other["price"] >= price

    # -- commands: each returns an int or a refusal code (str) ------------------------------------------------------
    def place(self, owner: int, side: int, price: int, qty: int, otype: int = LIMIT, client: str | None = None):
        a = self.accounts.get(owner)
        if a is None:
            return "orderbook.account_unknown"
        if qty <= 0:
            return "orderbook.quantity_invalid"
        if qty % self.lot:
            return "orderbook.quantity_lot"
        if qty >= self.max_qty:
            return "orderbook.listing_too_large"
        if client is not None and (owner, client) in self.seen:
            return "orderbook.duplicate_client_order_id"
        if otype != LIMIT and self.mode == "listing":
            return "orderbook.wrong_mode"
        if otype == MARKET:
            best = self._best(1 - side)
            if best is None:
                return "orderbook.no_liquidity"
            price = best
        else:
            if price <= 0:
                return "orderbook.price_invalid"
            if price % self.tick:
                return "orderbook.price_tick"
            if price < self.lo or price > self.hi:
                return "orderbook.price_out_of_band"
        if side == BUY and a[0] < price * qty:
            return "orderbook.insufficient_cash"
        if side == SELL and a[2] < qty:
            return "orderbook.insufficient_allowances"
        if self.mode == "listing":
            best = self._best(1 - side)
            if best is not None and (best <= price if side == BUY else best >= price):
                return "orderbook.listing_would_cross"
        if qty + self.level_total(side, price) > LEVEL_TOTAL_MAX:
            return "orderbook.level_total_limit"
        if client is not None:
            self.seen.add((owner, client))
        oid = self.next_oid
        self.next_oid += 1
        o = {"oid": oid, "owner": owner, "side": side, "price": price, "open": qty}
        if self.mode == "listing":
            self._rest(o)
            return oid
        if otype == FOK:
            avail = sum(
                m["open"] for m in self._side_orders(1 - side) if self._crosses(side, price, m) and m["owner"] != owner
            )
            if avail < qty:
                self.removed.append((oid, "fok", qty, side, price, owner))
                return oid
        self._match(o)
        if o["open"]:
            if otype in (LIMIT, MARKET):
                self._rest(o)
            else:
                self.removed.append((oid, "ioc" if otype == IOC else "fok", o["open"], side, price, owner))
        return oid

    def _match(self, o: dict) -> None:
        side = o["side"]
        a = self.accounts[o["owner"]]
        while o["open"]:
            candidates = [m for m in self._side_orders(1 - side) if self._crosses(side, o["price"], m)]
            if not candidates:
                return
            m = candidates[0]
            if m["owner"] == o["owner"]:
                self._release(m, m["open"])
                self.removed.append((m["oid"], "stp", m["open"], m["side"], m["price"], m["owner"]))
                self.orders.remove(m)
                continue
            q = min(m["open"], o["open"])
            p = m["price"]
            ma = self.accounts[m["owner"]]
            if side == BUY:
                a[0] -= p * q
                a[2] += q
                ma[3] -= q
                ma[0] += p * q
                self.trades.append((self.next_tid, 0, p, q, o["oid"], m["oid"], o["owner"], m["owner"], BUY))
            else:
                a[2] -= q
                a[0] += p * q
                ma[1] -= p * q
                ma[2] += q
                self.trades.append((self.next_tid, 0, p, q, m["oid"], o["oid"], m["owner"], o["owner"], SELL))
            self.next_tid += 1
            m["open"] -= q
            o["open"] -= q
            if not m["open"]:
                self.orders.remove(m)

    def _find(self, oid: int) -> dict | None:
        return next((o for o in self.orders if o["oid"] == oid), None)

    def cancel(self, owner: int, oid: int):
        o = self._find(oid)
        if o is None:
            return "orderbook.order_unknown"
        if o["owner"] != owner:
            return "orderbook.not_your_order"
        self._release(o, o["open"])
        self.orders.remove(o)
        return o["open"]

    def amend(self, owner: int, oid: int, price: int, qty: int):
        o = self._find(oid)
        if o is None:
            return "orderbook.order_unknown"
        if o["owner"] != owner:
            return "orderbook.not_your_order"
        if qty <= 0:
            return "orderbook.quantity_invalid"
        if qty % self.lot:
            return "orderbook.quantity_lot"
        if qty >= self.max_qty:
            return "orderbook.listing_too_large"
        if price != o["price"]:
            if price <= 0:
                return "orderbook.price_invalid"
            if price % self.tick:
                return "orderbook.price_tick"
            if price < self.lo or price > self.hi:
                return "orderbook.price_out_of_band"
        if price == o["price"] and qty == o["open"]:
            return "orderbook.amend_unchanged"
        a = self.accounts[owner]
        if o["side"] == BUY:
            extra = price * qty - o["price"] * o["open"]
            if extra > a[0]:
                return "orderbook.insufficient_cash"
        else:
            extra = qty - o["open"]
            if extra > a[2]:
                return "orderbook.insufficient_allowances"
        if self.mode == "listing" and price != o["price"]:
            best = self._best(1 - o["side"])
            if best is not None and (best <= price if o["side"] == BUY else best >= price):
                return "orderbook.listing_would_cross"
        others = self.level_total(o["side"], price) - (o["open"] if price == o["price"] else 0)
        if qty + others > LEVEL_TOTAL_MAX:
            return "orderbook.level_total_limit"
        if price == o["price"] and qty < o["open"]:
            self._release(o, o["open"] - qty)
            o["open"] = qty
            return oid
        self._release(o, o["open"])
        self.orders.remove(o)
        fresh = {"oid": oid, "owner": owner, "side": o["side"], "price": price, "open": qty}
        if self.mode != "listing":
            self._match(fresh)
        if fresh["open"]:
            self._rest(fresh)
        return oid

    def take(self, owner: int, target: int, qty: int):
        a = self.accounts.get(owner)
        if a is None:
            return "orderbook.account_unknown"
        m = self._find(target)
        if m is None:
            return "orderbook.order_unknown"
        if m["owner"] == owner:
            return "orderbook.take_own_order"
        if qty <= 0:
            return "orderbook.quantity_invalid"
        if qty % self.lot:
            return "orderbook.quantity_lot"
        if qty > m["open"]:
            return "orderbook.take_exceeds_listing"
        prices = sorted({o["price"] for o in self.orders if o["side"] == m["side"]}, reverse=m["side"] == BUY)
        if prices.index(m["price"]) >= self.levels:
            return "orderbook.not_in_best_levels"
        p = m["price"]
        ma = self.accounts[m["owner"]]
        if m["side"] == SELL and a[0] < p * qty:
            return "orderbook.insufficient_cash"
        if m["side"] == BUY and a[2] < qty:
            return "orderbook.insufficient_allowances"
        oid = self.next_oid
        self.next_oid += 1
        if m["side"] == SELL:
            a[0] -= p * qty
            a[2] += qty
            ma[3] -= qty
            ma[0] += p * qty
            self.trades.append((self.next_tid, 1, p, qty, oid, m["oid"], owner, m["owner"], BUY))
        else:
            a[2] -= qty
            a[0] += p * qty
            ma[1] -= p * qty
            ma[2] += qty
            self.trades.append((self.next_tid, 1, p, qty, m["oid"], oid, m["owner"], owner, SELL))
        self.next_tid += 1
        m["open"] -= qty
        if not m["open"]:
            self.orders.remove(m)
        return oid
