/* The per-well results that wellmonitor puts on each analysed buffer, and the
 * one place that writes and reads them: wellmonitor adds them, welloverlay and
 * wellpublish (and any application) read them. No other code touches the
 * field names.
 *
 * On the buffer each well is one GstVideoRegionOfInterestMeta of type
 * WELLMONITOR_ROI_TYPE ("well"), whose id is the well's index in the layout
 * file and whose box is the well's box in stream pixels, with one parameter
 * structure named WELLMONITOR_ROI_PARAM ("wellmonitor") holding:
 *   well       string   the well's id from the layout file
 *   score      double   the well's anomaly score
 *   threshold  double   the threshold in force when it was scored
 *   anomaly    boolean  score > threshold on the analysed frame
 *   alarm      boolean  the debounced alarm state
 *   analysed   boolean  FALSE when the values were carried over from the last
 *                       analysed frame (interval > 1, a late frame)
 *   late       boolean  not analysed because the frame came late (QoS)
 *   shelved    boolean  an operator shelved (masked) the well: no alarm
 * A region of interest meta is GStreamer's own, so the results survive a tee
 * or a queue and are readable by applications that know nothing of ours. */
#pragma once

#include <gst/video/video.h>

#include <string>
#include <vector>

#define WELLMONITOR_ROI_TYPE "well"
#define WELLMONITOR_ROI_PARAM "wellmonitor"

namespace wellmonitor {

/* One well's result on one buffer. */
struct WellResult
{
  gint index = 0;               /* the well's index in the layout (the meta's id) */
  std::string id;               /* the well's id from the layout */
  bool named = false;           /* the meta carried an id ("well") */
  gint x = 0, y = 0, width = 0, height = 0;    /* the well's box, stream pixels */
  double score = 0.0;
  double threshold = 0.0;
  bool anomaly = false;         /* score over threshold on the analysed frame */
  bool alarm = false;           /* in alarm */
  bool analysed = true;         /* FALSE: carried over from the last analysed frame */
  bool late = false;            /* not analysed because late (QoS) */
  bool shelved = false;         /* shelved by an operator: raises no alarm */
};

/* Puts `well` on `buffer` (which must be writable). */
void well_meta_add (GstBuffer * buffer, const WellResult & well);

/* Reads the wells of `buffer` into `wells`, in layout order (by index), and
 * returns whether there were any. Region of interest metas of another type,
 * or without our parameter structure, are not wells; a field that is missing
 * keeps WellResult's default. */
bool well_meta_read (GstBuffer * buffer, std::vector<WellResult> & wells);

}  // namespace wellmonitor
