/* wellmonitor's live reconfiguration: a new model or well layout set while
 * the element runs is read and prepared by a thread of its own while the
 * frames go on with the old one; the streaming thread takes it before a later
 * frame, never waiting for the load. Of several requests of one kind the
 * newest wins; a file that cannot be used is refused, naming why, and the old
 * one stays.
 *
 * No GStreamer here: the element gives it paths and callbacks, and turns what
 * it reports into bus warnings, logs and property notifications. */
#pragma once

#include "wellmonitor/layout.h"
#include "wellmonitor/scorer.h"

#include <opencv2/core.hpp>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace wellmonitor {

enum class ReloadKind { kModel, kWells };

class Reloader
{
public:
  /* Called on the loader thread, with no lock held. */
  struct Callbacks
  {
    /* `path` was refused because of `why` (a reason that does not repeat the
     * path); `kept` stays in use. `superseded`: a newer request of the same
     * kind came meanwhile, so nothing needs to go back to `kept`. */
    std::function<void (ReloadKind kind, const std::string & path,
        const std::string & why, const std::string & kept,
        bool superseded)> refused;
    /* `path` was loaded; `superseded`: a newer request came meanwhile and it
     * is dropped, else take () hands it over. */
    std::function<void (ReloadKind kind, const std::string & path,
        bool superseded)> loaded;
  };

  explicit Reloader (Callbacks callbacks = {});
  ~Reloader ();
  Reloader (const Reloader &) = delete;
  Reloader & operator= (const Reloader &) = delete;

  void set_callbacks (Callbacks callbacks);

  /* The model and layout in use when the element starts, and how a new model
   * is opened (the same device and thread count). */
  void begin (const std::string & model, const std::string & wells,
      const ScorerOptions & options);

  /* Asks for a new model or layout; the loader thread starts on first use. */
  void request (ReloadKind kind, const std::string & path);

  /* For the streaming thread: what was loaded since the last call, if the
   * loader does not hold the lock right now (never waits). False when there
   * is nothing to take. */
  bool take (std::unique_ptr<Scorer> & scorer,
      std::unique_ptr<WellLayout> & layout);

  /* The streaming thread refused a layout it took (its wells do not fit the
   * stream): what a later refusal keeps goes back to `kept`. */
  void refuse_wells (const std::string & refused, const std::string & kept);

  /* Ends the loader thread and forgets what it loaded and was not taken. */
  void stop ();

  /* Waits at most `timeout_ms` until every request has been handled; for
   * tests. */
  bool wait_idle (int timeout_ms);

private:
  void run ();

  Callbacks callbacks_;
  std::mutex lock_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::thread thread_;
  bool quit_ = false;
  bool busy_ = false;           /* loading, outside the lock */

  /* requested, not yet loaded */
  bool want_model_ = false;
  bool want_wells_ = false;
  std::string model_request_;
  std::string wells_request_;

  /* loaded, not yet taken */
  std::unique_ptr<Scorer> scorer_;
  std::unique_ptr<WellLayout> layout_;

  /* the newest good ones (in use or about to be): what a refusal keeps */
  std::string model_path_;
  std::string wells_path_;

  ScorerOptions options_;
};

}  // namespace wellmonitor

namespace wellmonitor {

/* Why a model or layout could not be opened when the element starts, in the
 * user's words: `message` for the error, `details` for its debug text. */
struct OpenError
{
  enum Kind { kNone, kNotFound, kRead, kSettings } kind = kNone;
  std::string message;
  std::string details;          /* empty: none */
};

/* The layout at `path` for the element's start; kNone, or why not. */
OpenError open_layout (const std::string & path, WellLayout & layout);

/* The model at `path` for the element's start, on `options.device`; kNone,
 * or why not. */
OpenError open_model (const std::string & path, const ScorerOptions & options,
    std::unique_ptr<Scorer> & scorer);

/* The installed default model when there is one, else the source tree's. */
std::string default_model_path ();

/* The scorer's options for `device` and `threads` (and, for tests of a slow
 * model, WELLMONITOR_SCORE_DELAY_US in the environment). */
ScorerOptions scorer_options (const std::string & device, int threads);

/* What the element opens when it starts. */
struct MonitorFiles
{
  cv::Mat reference;            /* grey; empty when no reference frame is set */
  WellLayout layout;
  std::unique_ptr<Scorer> scorer;
};

/* Opens, for the element's start, the reference frame (when `reference` is
 * not empty), the layout (the property users forget) and the model, in that
 * order, the model batched for the layout's wells; kNone, or why not. */
OpenError open_monitor (const std::string & model, const std::string & wells,
    const std::string & device, int threads, const std::string & reference,
    MonitorFiles & out);

/* One line on what a model is and where it runs, for the log. */
std::string describe_model (const ScorerInfo & info);

}  // namespace wellmonitor
