/* The raw video formats every element of the plugin takes: wellmonitor crops
 * its wells from them without converting the frame, welloverlay draws on them
 * and wellpublish takes its snapshots from them. One list, so that the
 * elements link to each other without a videoconvert (a converting
 * videoconvert drops the wells' metas). */
#pragma once

#include <gst/video/video.h>

#define WELLMONITOR_VIDEO_CAPS \
    GST_VIDEO_CAPS_MAKE ("{ BGR, BGRx, BGRA, RGB, RGBx, RGBA, GRAY8, I420, NV12 }")
