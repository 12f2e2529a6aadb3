/* The element of a factory upstream of a pad, through queues, tees,
 * converters and bins: wellpublish finds the wellmonitor whose metas it reads
 * (for the model it uses, in the stats). GStreamer only; no element of ours
 * here. */
#pragma once

#include <gst/gst.h>

#include <string>

namespace wellpublish {

/* The nearest element made by `factory` upstream of `sinkpad` (a reference
 * the caller unrefs), or NULL. It follows each element's "sink" pad (a tee's
 * or a queue's), into a bin through its ghost pad and out of one to the
 * element before it; an element of the factory inside a bin on the way
 * counts. Stops after 64 elements. */
GstElement *find_upstream (GstPad * sinkpad, const char *factory);

/* String property `property` of that element; "" when there is none, it
 * has no such string property, or it is unset. */
std::string upstream_string (GstPad * sinkpad, const char *factory,
    const char *property);

}  // namespace wellpublish
