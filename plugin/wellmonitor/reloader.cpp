/* wellmonitor's live reconfiguration: the loader thread. */

#include "reloader.h"

#include "camera-shift.h"

#include "wellmonitor/errors.h"
#include "wellmonitor/version.h"

#include <glib.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <system_error>

namespace wellmonitor {

Reloader::Reloader (Callbacks callbacks) : callbacks_ (std::move (callbacks))
{
}

Reloader::~Reloader ()
{
  stop ();
}

void
Reloader::set_callbacks (Callbacks callbacks)
{
  std::lock_guard<std::mutex> l (lock_);
  callbacks_ = std::move (callbacks);
}

void
Reloader::begin (const std::string & model, const std::string & wells,
    const ScorerOptions & options)
{
  std::lock_guard<std::mutex> l (lock_);
  model_path_ = model;
  wells_path_ = wells;
  options_ = options;
}

void
Reloader::request (ReloadKind kind, const std::string & path)
{
  {
    std::lock_guard<std::mutex> l (lock_);
    if (kind == ReloadKind::kModel) {
      want_model_ = true;
      model_request_ = path;
    } else {
      want_wells_ = true;
      wells_request_ = path;
    }
    if (!thread_.joinable ())
      thread_ = std::thread ([this] { run (); });
  }
  wake_.notify_all ();
}

bool
Reloader::take (std::unique_ptr<Scorer> & scorer,
    std::unique_ptr<WellLayout> & layout)
{
  std::unique_lock<std::mutex> l (lock_, std::try_to_lock);
  if (!l.owns_lock () || (!scorer_ && !layout_))
    return false;
  scorer = std::move (scorer_);
  layout = std::move (layout_);
  return true;
}

void
Reloader::refuse_wells (const std::string & refused, const std::string & kept)
{
  std::lock_guard<std::mutex> l (lock_);
  if (wells_path_ == refused)
    wells_path_ = kept;
}

void
Reloader::stop ()
{
  {
    std::lock_guard<std::mutex> l (lock_);
    quit_ = true;
  }
  wake_.notify_all ();
  if (thread_.joinable ())
    thread_.join ();
  std::lock_guard<std::mutex> l (lock_);
  quit_ = false;
  busy_ = false;
  want_model_ = want_wells_ = false;
  scorer_.reset ();
  layout_.reset ();
  idle_.notify_all ();
}

bool
Reloader::wait_idle (int timeout_ms)
{
  std::unique_lock<std::mutex> l (lock_);
  return idle_.wait_for (l, std::chrono::milliseconds (timeout_ms), [this] {
        return !busy_ && !want_model_ && !want_wells_;
      });
}

/* Loads what is asked for, newest first, and leaves it for take (). */
void
Reloader::run ()
{
  std::unique_lock<std::mutex> l (lock_);
  for (;;) {
    wake_.wait (l, [this] { return quit_ || want_model_ || want_wells_; });
    if (quit_)
      return;
    const ReloadKind kind = want_model_ ? ReloadKind::kModel : ReloadKind::kWells;
    const bool model = kind == ReloadKind::kModel;
    const std::string path = model ? model_request_ : wells_request_;
    (model ? want_model_ : want_wells_) = false;
    const ScorerOptions options = options_;
    busy_ = true;
    l.unlock ();

    std::unique_ptr<Scorer> scorer;
    std::unique_ptr<WellLayout> layout;
    std::string why;
    std::error_code ec;
    try {
      if (path.empty ())
        why = "no file given";
      else if (!std::filesystem::exists (path, ec))
        why = "the file does not exist";
      else if (model)
        scorer = Scorer::open (path, options);
      else {
        layout = std::make_unique<WellLayout> (load_layout (path));
        if (layout->wells.empty ())
          why = "the layout names no wells";
      }
    } catch (const std::exception & e) {
      why = error_text (e);
    } catch (...) {
      why = "unknown exception";
    }
    /* the reason without the path it starts with: the warning names it */
    if (why.compare (0, path.size () + 2, path + ": ") == 0)
      why.erase (0, path.size () + 2);

    l.lock ();
    if (quit_)
      return;
    const bool superseded = model ? want_model_ : want_wells_;
    const std::string keep = model ? model_path_ : wells_path_;
    if (why.empty () && !superseded) {
      if (model) {
        scorer_ = std::move (scorer);
        model_path_ = path;
      } else {
        layout_ = std::move (layout);
        wells_path_ = path;
      }
    }
    const Callbacks callbacks = callbacks_;
    l.unlock ();
    if (!why.empty ()) {
      if (callbacks.refused)
        callbacks.refused (kind, path, why, keep, superseded);
    } else if (callbacks.loaded) {
      callbacks.loaded (kind, path, superseded);
    }
    l.lock ();
    busy_ = false;
    idle_.notify_all ();
  }
}

/* ------------------------------------------------ opening, at the start */

/* An exception's text that names `path`: its own when it does already. */
static std::string
naming (const std::string & path, const std::string & what)
{
  if (what.find (path) != std::string::npos)
    return what;
  return path + ": " + what;
}

OpenError
open_layout (const std::string & path, WellLayout & layout)
{
  std::error_code ec;
  if (path.empty ())
    return { OpenError::kNotFound,
      "No well layout: set the 'wells' property to a layout file.",
      "wells property is not set" };
  if (!std::filesystem::exists (path, ec))
    return { OpenError::kNotFound,
      "Well layout file '" + path + "' does not exist.", "wells=" + path };
  try {
    layout = load_layout (path);
  } catch (const std::exception & e) {
    return { OpenError::kRead, "Could not load the well layout: " +
          naming (path, error_text (e)), error_text (e) };
  } catch (...) {
    return { OpenError::kRead, "Could not load the well layout '" + path +
          "'.", "unknown exception" };
  }
  if (layout.wells.empty ())
    return { OpenError::kRead, "Well layout '" + path + "' names no wells.",
      "" };
  return {};
}

OpenError
open_model (const std::string & path, const ScorerOptions & options,
    std::unique_ptr<Scorer> & scorer)
{
  std::error_code ec;
  if (path.empty ())
    return { OpenError::kNotFound,
      "No model: set the 'model' property to a model file.",
      "model property is empty" };
  if (!std::filesystem::exists (path, ec))
    return { OpenError::kNotFound, "Model file '" + path + "' does not exist.",
      "model=" + path + " (the default is the installed model "
          WELLMONITOR_MODEL_DIR "/default.wmm, or " WELLMONITOR_SOURCE_MODEL
          " in the source tree)" };
  try {
    scorer = Scorer::open (path, options);
  } catch (const ModelFileError & e) {
    return { OpenError::kRead, "Could not load the model: " +
          naming (path, error_text (e)), error_text (e) };
  } catch (const std::exception & e) {
    return { OpenError::kSettings, "Could not use the model '" + path +
          "' on device '" + options.device + "': " + error_text (e),
      error_text (e) };
  } catch (...) {
    return { OpenError::kRead, "Could not load the model '" + path + "'.",
      "unknown exception" };
  }
  return {};
}

std::string
default_model_path ()
{
  gchar *installed = g_build_filename (WELLMONITOR_MODEL_DIR, "default.wmm",
      NULL);
  std::string path = g_file_test (installed, G_FILE_TEST_IS_REGULAR) ?
      installed : WELLMONITOR_SOURCE_MODEL;
  g_free (installed);
  return path;
}

ScorerOptions
scorer_options (const std::string & device, int threads)
{
  ScorerOptions options;
  options.device = device;
  options.threads = threads;
  if (const gchar * delay = g_getenv ("WELLMONITOR_SCORE_DELAY_US"))
    options.delay_us = (long) g_ascii_strtoll (delay, NULL, 10);
  return options;
}

OpenError
open_monitor (const std::string & model, const std::string & wells,
    const std::string & device, int threads, const std::string & reference,
    MonitorFiles & out)
{
  if (!reference.empty ()) {
    try {
      out.reference = load_reference_frame (reference);
    } catch (const std::exception & e) {
      return { OpenError::kRead, e.what (), "reference-frame=" + reference };
    }
  }
  OpenError error = open_layout (wells, out.layout);
  if (error.kind != OpenError::kNone)
    return error;
  ScorerOptions options = scorer_options (device, threads);
  options.batch = (int) out.layout.wells.size ();
  return open_model (model, options, out.scorer);
}

std::string
describe_model (const ScorerInfo & i)
{
  gchar *s = g_strdup_printf ("model %s: arch %s, input %dx%d %s, score %s, "
      "threshold %g (%s), trained with %s loss by wellmonitor %s on %s; "
      "on %s with %d intra-op threads", i.path.c_str (), i.arch.c_str (),
      i.input_width, i.input_height, i.color.c_str (), i.score.c_str (),
      i.threshold, i.calibration.c_str (), i.loss.c_str (),
      i.trainer_version.c_str (), i.date.c_str (), i.device.c_str (),
      i.threads);
  std::string line = s;
  g_free (s);
  return line;
}

}  // namespace wellmonitor
