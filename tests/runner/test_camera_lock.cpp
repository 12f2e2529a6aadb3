// One process per camera: the lock under the state directory.

#include "camera_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

using namespace wellmonitor::run;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = "/tmp/wellmonitor-lock-XXXXXX";
    path = mkdtemp(t.data()) ? t : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::function<const char*(const char*)> env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    static std::string value;
    const auto it = vars.find(name);
    if (it == vars.end()) return nullptr;
    value = it->second;
    return value.c_str();
  };
}

}  // namespace

TEST(CameraLock, TheStateDirectoryIsTheServicesThenXdgStateHomeThenTheHomes) {
  EXPECT_EQ(state_directory(env({{"STATE_DIRECTORY", "/var/lib/wm:/var/lib/other"}, {"HOME", "/root"}})),
            "/var/lib/wm");
  EXPECT_EQ(state_directory(env({{"XDG_STATE_HOME", "/home/op/.state"}, {"HOME", "/home/op"}})),
            "/home/op/.state/wellmonitor");
  EXPECT_EQ(state_directory(env({{"HOME", "/home/op"}})), "/home/op/.local/state/wellmonitor");
  EXPECT_EQ(state_directory(env({{"XDG_STATE_HOME", "relative"}, {"HOME", "/home/op"}})),
            "/home/op/.local/state/wellmonitor")
      << "a relative XDG_STATE_HOME is ignored, as the XDG spec says";
}

TEST(CameraLock, TheLockFileIsNamedAfterTheCameraAsASafeFileName) {
  EXPECT_EQ(lock_file_name("table1"), "table1.lock");
  EXPECT_EQ(lock_file_name("line 2/cam:3"), "line_2_cam_3.lock");
  EXPECT_EQ(lock_file_name(".."), "_...lock");
  EXPECT_EQ(lock_file_name(""), "_.lock");
}

TEST(CameraLock, ASecondHolderIsRefusedWithThePidOfTheFirst) {
  TempDir dir;
  CameraLock::Refusal refusal;
  auto first = CameraLock::acquire(dir.path + "/state", "table1", refusal);
  ASSERT_TRUE(first.has_value()) << refusal.message;
  EXPECT_TRUE(fs::exists(dir.path + "/state/table1.lock"));
  auto second = CameraLock::acquire(dir.path + "/state", "table1", refusal);
  EXPECT_FALSE(second.has_value());
  ASSERT_TRUE(refusal.holder.has_value());
  EXPECT_EQ(*refusal.holder, getpid());
  EXPECT_NE(refusal.message.find("camera 'table1' is already monitored by process " + std::to_string(getpid())),
            std::string::npos)
      << refusal.message;
  EXPECT_NE(refusal.message.find("table1.lock"), std::string::npos) << refusal.message;
  // another camera is another lock
  CameraLock::Refusal other;
  EXPECT_TRUE(CameraLock::acquire(dir.path + "/state", "table2", other).has_value()) << other.message;
}

TEST(CameraLock, TheLockGoesWithItsProcessEvenWhenKilled) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    CameraLock::Refusal r;
    auto lock = CameraLock::acquire(dir.path, "cam", r);
    const char c = lock ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  CameraLock::Refusal refusal;
  EXPECT_FALSE(CameraLock::acquire(dir.path, "cam", refusal).has_value());
  EXPECT_EQ(refusal.holder.value_or(-1), child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  auto after = CameraLock::acquire(dir.path, "cam", refusal);
  EXPECT_TRUE(after.has_value()) << refusal.message;
  close(ready[0]);
  close(ready[1]);
}

TEST(CameraLock, ReleasingTheLockLetsTheNextProcessTakeIt) {
  TempDir dir;
  CameraLock::Refusal refusal;
  {
    auto lock = CameraLock::acquire(dir.path, "cam", refusal);
    ASSERT_TRUE(lock.has_value());
  }
  EXPECT_TRUE(CameraLock::acquire(dir.path, "cam", refusal).has_value()) << refusal.message;
}

TEST(CameraLock, AStateDirectoryThatCannotBeMadeIsSaidWithoutAHolder) {
  CameraLock::Refusal refusal;
  EXPECT_FALSE(CameraLock::acquire("/proc/self/no/such/dir", "cam", refusal).has_value());
  EXPECT_FALSE(refusal.holder.has_value());
  EXPECT_NE(refusal.message.find("/proc/self/no/such/dir"), std::string::npos) << refusal.message;
}
