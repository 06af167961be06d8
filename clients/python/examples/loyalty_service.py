"""A loyalty-points participant in Python: a point per 100 cents of an order, taken back by the
compensation. Run it as a process of the cluster (its name, `loyalty`, in a topology file):

    python3 loyalty_service.py --router tcp://127.0.0.1:7601 --pub tcp://127.0.0.1:7602 --data-dir data/loyalty

A secured cluster's keys come from ZSAGA_KEYS or ZSAGA_CLUSTER_SECRET, as for every process.
"""

from __future__ import annotations

import argparse
import sqlite3

from zsaga import ClusterKeys, InvalidArgument, Outcome, Participant, Step, Topology, command, query
from zsaga.wire import JSON


class Loyalty(Participant):
    name = "loyalty"

    def setup(self, db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS awards (order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, points INTEGER NOT NULL,"
                   " status TEXT NOT NULL)")

    @command("AwardPoints")
    def award(self, step: Step) -> Outcome:
        order, user, cents = step.body.get("order_id"), step.body.get("user_id"), step.body.get("amount_cents")
        if not isinstance(order, str) or not isinstance(user, str):
            raise InvalidArgument("order_id", "order_id and user_id must be strings")
        if not isinstance(cents, int) or isinstance(cents, bool) or cents < 0:
            raise InvalidArgument("amount_cents", "must be a non-negative integer")
        step.db.execute("INSERT INTO awards VALUES (?, ?, ?, 'awarded')", (order, user, cents // 100))
        step.emit("PointsAwarded", {"order_id": order, "user_id": user, "points": cents // 100})
        return Outcome.ok({"order_id": order, "points": cents // 100})

    @command("RevokePoints")
    def revoke(self, step: Step) -> Outcome:
        order = step.body.get("order_id")
        step.db.execute("UPDATE awards SET status = 'revoked' WHERE order_id = ?", (order,))
        step.emit("PointsRevoked", {"order_id": order})
        return Outcome.ok({"order_id": order, "status": "revoked"})

    @query("GetAward")
    def get_award(self, body: JSON, db: sqlite3.Connection) -> JSON:
        row = db.execute("SELECT order_id, user_id, points, status FROM awards WHERE order_id = ?", (body.get("order_id"),)).fetchone()
        return dict(zip(("order_id", "user_id", "points", "status"), row)) if row else {"order_id": body.get("order_id"), "status": "none"}

    @query("Stats")
    def stats(self, body: JSON, db: sqlite3.Connection) -> JSON:
        held, awards = db.execute("SELECT COALESCE(SUM(CASE WHEN status = 'awarded' THEN points END), 0), COUNT(*) FROM awards").fetchone()
        return {"awards": awards, "points_held": held}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--router", default="tcp://127.0.0.1:7601")
    parser.add_argument("--pub", default="tcp://127.0.0.1:7602")
    parser.add_argument("--data-dir", default="data/loyalty")
    arguments, _ = parser.parse_known_args()
    # A process binds its first endpoint (the Swift ones also take a comma-separated list).
    router, pub = arguments.router.split(",")[0], arguments.pub.split(",")[0]
    keys = ClusterKeys.from_environment(Loyalty.name, Topology.load().names)
    Loyalty(arguments.data_dir, router, pub, keys=keys).run()


if __name__ == "__main__":
    main()
