// The per-well result meta on its own (plugin/common/well-meta.h): what
// wellmonitor adds is what welloverlay and wellpublish read back, in layout
// order, and what is not ours is not read.
#include "well-meta.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <vector>

namespace wm = wellmonitor;

namespace {

class WellMeta : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override { buffer_ = gst_buffer_new(); }
  void TearDown() override { gst_buffer_unref(buffer_); }
  GstBuffer* buffer_ = nullptr;
};

wm::WellResult result(int index, const char* id, double score, bool anomaly, bool alarm) {
  wm::WellResult r;
  r.index = index;
  r.id = id;
  r.named = true;
  r.x = 10 * index;
  r.y = 20;
  r.width = 30;
  r.height = 40;
  r.score = score;
  r.threshold = 0.25;
  r.anomaly = anomaly;
  r.alarm = alarm;
  r.analysed = index % 2 == 0;
  r.late = !r.analysed;
  r.shelved = index == 3;
  return r;
}

}  // namespace

TEST_F(WellMeta, WhatIsAddedIsReadBackFieldByField) {
  const wm::WellResult in = result(3, "r2w7", 0.625, true, true);
  wm::well_meta_add(buffer_, in);
  std::vector<wm::WellResult> out;
  ASSERT_TRUE(wm::well_meta_read(buffer_, out));
  ASSERT_EQ(out.size(), 1u);
  const wm::WellResult& w = out[0];
  EXPECT_EQ(w.index, 3);
  EXPECT_EQ(w.id, "r2w7");
  EXPECT_TRUE(w.named);
  EXPECT_EQ(w.x, 30);
  EXPECT_EQ(w.y, 20);
  EXPECT_EQ(w.width, 30);
  EXPECT_EQ(w.height, 40);
  EXPECT_DOUBLE_EQ(w.score, 0.625);
  EXPECT_DOUBLE_EQ(w.threshold, 0.25);
  EXPECT_TRUE(w.anomaly);
  EXPECT_TRUE(w.alarm);
  EXPECT_FALSE(w.analysed);
  EXPECT_TRUE(w.late);
  EXPECT_TRUE(w.shelved);
}

TEST_F(WellMeta, TheMetaIsAGStreamerRegionOfInterestOfTypeWell) {
  wm::well_meta_add(buffer_, result(0, "r1w1", 0.5, true, false));
  GstVideoRegionOfInterestMeta* roi = gst_buffer_get_video_region_of_interest_meta(buffer_);
  ASSERT_NE(roi, nullptr);
  EXPECT_EQ(roi->roi_type, g_quark_from_string("well"));
  EXPECT_EQ(roi->id, 0);
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, "wellmonitor");
  ASSERT_NE(s, nullptr) << "applications read the parameters by these names";
  EXPECT_STREQ(gst_structure_get_string(s, "well"), "r1w1");
  gboolean anomaly = FALSE;
  EXPECT_TRUE(gst_structure_get_boolean(s, "anomaly", &anomaly));
  EXPECT_TRUE(anomaly);
}

TEST_F(WellMeta, WellsAreReadInLayoutOrderWhateverTheOrderAdded) {
  for (int i : {2, 0, 1}) wm::well_meta_add(buffer_, result(i, i == 0 ? "a" : i == 1 ? "b" : "c", 0.1 * i, false, false));
  std::vector<wm::WellResult> out;
  ASSERT_TRUE(wm::well_meta_read(buffer_, out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "a");
  EXPECT_EQ(out[1].id, "b");
  EXPECT_EQ(out[2].id, "c");
}

TEST_F(WellMeta, ABufferWithoutWellsReadsAsNone) {
  std::vector<wm::WellResult> out = {result(0, "stale", 1.0, true, true)};
  EXPECT_FALSE(wm::well_meta_read(buffer_, out));
  EXPECT_TRUE(out.empty()) << "the previous frame's wells are not kept";
}

TEST_F(WellMeta, RegionsOfInterestThatAreNotOursAreNotWells) {
  GstVideoRegionOfInterestMeta* face = gst_buffer_add_video_region_of_interest_meta(buffer_, "face", 1, 2, 3, 4);
  gst_video_region_of_interest_meta_add_param(face, gst_structure_new("wellmonitor", "well", G_TYPE_STRING, "x", nullptr));
  GstVideoRegionOfInterestMeta* bare = gst_buffer_add_video_region_of_interest_meta(buffer_, "well", 1, 2, 3, 4);
  gst_video_region_of_interest_meta_add_param(bare, gst_structure_new("detection", "score", G_TYPE_DOUBLE, 1.0, nullptr));
  std::vector<wm::WellResult> out;
  EXPECT_FALSE(wm::well_meta_read(buffer_, out));
}

TEST_F(WellMeta, AMissingFieldKeepsItsDefault) {
  GstVideoRegionOfInterestMeta* roi = gst_buffer_add_video_region_of_interest_meta(buffer_, "well", 5, 6, 7, 8);
  roi->id = 4;
  gst_video_region_of_interest_meta_add_param(roi, gst_structure_new("wellmonitor", "alarm", G_TYPE_BOOLEAN, TRUE, nullptr));
  std::vector<wm::WellResult> out;
  ASSERT_TRUE(wm::well_meta_read(buffer_, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index, 4);
  EXPECT_FALSE(out[0].named);
  EXPECT_TRUE(out[0].id.empty());
  EXPECT_TRUE(out[0].alarm);
  EXPECT_FALSE(out[0].anomaly);
  EXPECT_TRUE(out[0].analysed) << "a result not said to be carried over was analysed";
  EXPECT_EQ(out[0].score, 0.0);
}
