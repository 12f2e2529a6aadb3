// The GStreamer side of wellmonitor-run: builds the pipeline from the options,
// watches its bus in a GMainLoop, supervises the source (source_bin.h,
// supervisor.h), handles SIGTERM/SIGINT (stop_sequence.h), prints the lines
// (event_lines.h), keeps the recording's retention (recording.h) and decides the
// exit status (exit_status.h).
#pragma once

#include "health.h"
#include "options.h"
#include "pipeline_description.h"

namespace wellmonitor::run {

// What this machine offers for the pipeline (encoders, stub elements); needs
// gst_init. Returns false with `error` set when no encoder the options need exists.
bool make_plan(const RunOptions& options, PipelinePlan& plan, std::string& error);

// Runs the pipeline until it ends or is stopped; returns the exit status.
// `health` is kept up to date while it runs.
int run_pipeline(const RunOptions& options, const PipelinePlan& plan, Health& health);

}  // namespace wellmonitor::run
