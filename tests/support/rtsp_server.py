#!/usr/bin/python3
"""A real RTSP server on loopback for the tests (gst-rtsp-server through
PyGObject: gir1.2-gst-rtsp-server-1.0, python3-gi).

  rtsp_server.py VIDEO.mp4 PORT     serves VIDEO (H.264 in MP4, not re-encoded)
                                    at rtsp://127.0.0.1:PORT/replay

Prints "ready" once it listens; runs until killed."""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    video, port = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        '( filesrc location="%s" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
        % video.replace('"', '\\"'))
    server.get_mount_points().add_factory("/replay", factory)
    if server.attach(None) == 0:
        print("cannot listen on port %s" % port, file=sys.stderr)
        return 1
    print("ready", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
