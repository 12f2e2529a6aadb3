#!/usr/bin/python3
"""A dashboard as an integrator would write one (Debian's python3-paho-mqtt and
python3-pil, nothing of ours): it connects while a well is in alarm, learns the
alarm from the retained state, reads the retained stats and the alarm's
picture, acknowledges the alarm through the command topic, and follows it until
the well is normal again. Prints one JSON object with what it saw; exit status
0 when it saw all of that, 1 (with the reason on stderr) when not.

    dashboard_client.py HOST PORT PREFIX/CAMERA [TIMEOUT_S]
"""

import io
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
from PIL import Image


def main():
    host, port, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
    seen = {"states": {}, "stats": None, "pictures": {}, "operator": [], "order": []}
    changed = threading.Condition()

    def on_connect(client, userdata, flags, rc):
        client.subscribe([(base + "/state/+", 1), (base + "/stats", 1),
                          (base + "/snapshot/+", 1), (base + "/operator", 1)])

    def on_message(client, userdata, msg):
        leaf = msg.topic[len(base) + 1:]
        with changed:
            if leaf.startswith("snapshot/"):
                image = Image.open(io.BytesIO(msg.payload))
                image.load()  # decodes the whole JPEG
                seen["pictures"][leaf.split("/", 1)[1]] = {
                    "format": image.format, "width": image.width, "height": image.height,
                    "retained": bool(msg.retain)}
            else:
                body = json.loads(msg.payload)
                if leaf.startswith("state/"):
                    seen["states"][body["well"]] = dict(body, retained=bool(msg.retain))
                    seen["order"].append((body["well"], body["state"], body.get("acknowledged")))
                elif leaf == "stats":
                    seen["stats_retained"] = seen.get("stats_retained") or bool(msg.retain)
                    seen["stats"] = dict(body, retained=bool(msg.retain))
                elif leaf == "operator":
                    seen["operator"].append(body)
            changed.notify_all()

    def wait(what, test):
        deadline = time.monotonic() + timeout
        with changed:
            while not test():
                left = deadline - time.monotonic()
                if left <= 0:
                    sys.exit("dashboard: gave up waiting for " + what)
                changed.wait(left)

    client = mqtt.Client(client_id="dashboard-test", clean_session=True)
    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(host, port, keepalive=10)
    client.loop_start()

    # what the broker kept: a well in alarm, the stats, the alarm's picture
    def in_alarm():
        return [s for s in seen["states"].values() if s["state"] == "alarm" and s["retained"]]
    wait("the retained state of a well in alarm", lambda: in_alarm())
    alarm = in_alarm()[0]
    well, event_id = alarm["well"], alarm["event_id"]
    wait("the retained stats", lambda: seen.get("stats_retained"))
    # the stats follow at once when a well goes into alarm: the newest lists it
    wait("stats listing well " + well, lambda: well in seen["stats"]["wells_in_alarm"])
    with changed:
        # as they were during the alarm: later ones (after its end) list none
        stats = dict(seen["stats"])
    wait("the picture of well " + well, lambda: well in seen["pictures"])

    client.publish(base + "/command", json.dumps(
        {"command": "ack", "well": well, "event_id": event_id, "by": "dashboard", "note": "seen on screen"}), qos=1)
    wait("the acknowledgement", lambda: seen["states"][well].get("acknowledged") is True)
    wait("the end of the alarm", lambda: seen["states"][well]["state"] != "alarm")
    client.loop_stop()
    client.disconnect()

    end = seen["states"][well]
    print(json.dumps({
        "well": well, "event_id": event_id, "alarm_state_retained": alarm["retained"],
        "stats_retained": seen["stats_retained"],
        "stats": {k: stats[k] for k in ("camera_state", "frames_in", "wells", "wells_in_alarm", "model")},
        "picture": seen["pictures"][well],
        "acknowledged_by": [o["by"] for o in seen["operator"] if o["kind"] == "acknowledged"],
        "end": {"state": end["state"], "last_event_id": end.get("last_event_id"),
                "last_reason": end.get("last_reason")},
    }))


if __name__ == "__main__":
    main()
