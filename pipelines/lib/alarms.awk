# Turns `gst-launch-1.0 -m` output into alarm lines.
#
# In:  Got message #812 from element "monitor" (element): wellmonitor-alarm, well=(string)r3w11,
#      score=(double)0.081, threshold=(double)0.052, timestamp=(guint64)12416666666,
#      stream-time=(guint64)12416666666, running-time=(guint64)..., frame=(guint64)149, x=(int)...;
# Out: ALARM well=r3w11 time=12.417s frame=149 score=0.0810 threshold=0.0520
#
# Alarm lines go to stdout and, when -v logfile=FILE is set, to FILE. Other
# "Got message" lines are dropped; every other line (gst-launch's own status and
# errors) goes to stderr. Works with mawk and gawk.
#
# Exit status: 3 when the stream ended (EOS) before any error and errors came
# only while the pipeline was shutting down (a server that closed the
# connection before the teardown): every alarm of the stream was delivered.
# 0 otherwise.

function field(s, key,    n, parts, i, eq, k, v) {
  n = split(s, parts, ", ")
  for (i = 1; i <= n; i++) {
    eq = index(parts[i], "=")
    if (eq == 0) continue
    k = substr(parts[i], 1, eq - 1)
    if (k != key) continue
    v = substr(parts[i], eq + 1)
    sub(/^\([^)]*\)/, "", v)   # drop the "(type)"
    gsub(/"/, "", v)
    sub(/;[ \t\r]*$/, "", v)
    return v
  }
  return ""
}

function seconds(ns) {
  # GST_CLOCK_TIME_NONE (2^64-1) or missing: unknown
  if (ns == "" || ns + 0 >= 1e18) return "?"
  return sprintf("%.3f", ns / 1e9)
}

/^Got message #[0-9]+ from .* \(element\): wellmonitor-(alarm|clear)[,;]/ {
  s = $0
  sub(/^.*\(element\): /, "", s)
  kind = (s ~ /^wellmonitor-alarm/) ? "ALARM" : "CLEAR"
  st = field(s, "stream-time")
  if (st == "" || st + 0 >= 1e18) st = field(s, "timestamp")
  line = sprintf("%s well=%s time=%ss frame=%s score=%.4f threshold=%.4f", kind,
                 field(s, "well"), seconds(st), field(s, "frame"),
                 field(s, "score") + 0, field(s, "threshold") + 0)
  print line
  fflush()
  if (logfile != "") {
    print line > logfile
    fflush(logfile)
  }
  next
}

/^Got message #/ { next }

# Debian's openh264 2.3.1 prints this once per stream from GStreamer's openh264enc
# although encoding goes on fine: not an error of the pipeline.
/^\[OpenH264\] .*EncodeFrame\(\), cmInitParaError\.$/ { next }

/^EOS received - stopping pipeline/ { eos = 1 }
/^ERROR: / { if (eos) late_error = 1; else early_error = 1 }

{
  print > "/dev/stderr"
}

END {
  if (late_error && !early_error) exit 3
}
