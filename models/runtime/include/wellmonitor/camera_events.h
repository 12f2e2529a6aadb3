// The custom events that tell the elements about the camera (and the layout): GStreamer events
// of type GST_EVENT_CUSTOM_DOWNSTREAM (serialized, in order with the frames)
// whose structure has one of these names. wellmonitor-run sends them into
// wellmonitor's sink pad when its source is lost and back; wellmonitor
// forwards them (and sends the obscured one itself); wellpublish ends its open
// alarms and publishes them. One place for the names all of them use.
#pragma once

namespace wellmonitor {

// {reason: string "no-frames" | "error" | "eos"}: the camera sends no frames.
inline constexpr const char* kCameraLostEvent = "wellmonitor-camera-lost";
// {}: the first frame after a loss (or the picture is usable again).
inline constexpr const char* kCameraBackEvent = "wellmonitor-camera-back";
// The picture shows nothing usable (covered, fogged, dark), and usable again:
// sent by wellmonitor itself, with the view's measures (contrast, sharpness and
// their references) and, when it has one, a reason.
inline constexpr const char* kCameraObscuredEvent = "wellmonitor-camera-obscured";
inline constexpr const char* kCameraUnobscuredEvent = "wellmonitor-camera-unobscured";
// The camera-shift watchdog's report, sent by wellmonitor with the message's
// fields (dx, dy, confidence, followed, offset-x, offset-y).
inline constexpr const char* kCameraMovedEvent = "wellmonitor-camera-moved";

// {wells: string, the new layout file}: a layout loaded while running
// replaced the wells, sent by wellmonitor after it ended the old wells' alarms
// (reason reconfigured) and before the first frame with the new wells; an
// element that follows the alarms from the metas (wellpublish) ends its open
// ones with that reason here, as the metas cannot say why they ended.
inline constexpr const char* kLayoutChangedEvent = "wellmonitor-layout-changed";

// GST_EVENT_CUSTOM_UPSTREAM {well, shelved, by, note}: an operator shelves a
// well or puts it back; wellpublish sends it up to wellmonitor
// (plugin/common/operator-events.h writes and reads it).
inline constexpr const char* kShelveEvent = "wellmonitor-shelve";

}  // namespace wellmonitor
