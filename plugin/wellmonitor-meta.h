/* The contract between wellmonitor and welloverlay (and any application
 * reading the buffers): each analysed buffer carries one
 * GstVideoRegionOfInterestMeta per well, of type WELLMONITOR_ROI_TYPE, whose
 * id is the well's index in the layout file, with one parameter structure
 * named WELLMONITOR_ROI_PARAM holding:
 *   well       string   the well's id from the layout file
 *   score      double   the well's anomaly score
 *   threshold  double   the threshold in force when it was scored
 *   anomaly    boolean  score > threshold on the analysed frame
 *   alarm      boolean  the debounced alarm state
 *   analysed   boolean  FALSE when the values were carried over from the last
 *                       analysed frame (interval > 1)
 */
#pragma once

#define WELLMONITOR_ROI_TYPE "well"
#define WELLMONITOR_ROI_PARAM "wellmonitor"
