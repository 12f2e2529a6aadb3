// Runs a program with arguments (no shell) and captures its exit status, stdout,
// stderr and resource use; for the tests that run our programs and pipelines
// end to end.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wellmonitor_test {

struct ProcessResult {
  int exit_code = -1;  // WEXITSTATUS when the program exited, else -1
  int signal = 0;      // the signal that killed it (SIGABRT for an uncaught exception), else 0
  long pid = 0;        // the child's process id
  struct rusage usage {};  // the child's resource use (wait4): minor page faults, peak RSS, CPU time
  std::string out, err;

  // Non-empty lines of stderr.
  std::vector<std::string> err_lines() const {
    std::vector<std::string> v;
    std::istringstream in(err);
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) v.push_back(l);
    return v;
  }
  std::string describe() const {
    std::ostringstream s;
    s << "exit " << exit_code << (signal ? " signal " + std::to_string(signal) : std::string()) << "\n--- stdout:\n"
      << out << "--- stderr:\n" << err;
    return s.str();
  }
};

inline std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `program args...` with exactly the environment `envp` ("NAME=value"
// strings); `scratch` is a folder for the captured output files.
inline ProcessResult run_process_with_env(const std::string& program, const std::vector<std::string>& args,
                                          const std::string& scratch, const std::vector<std::string>& env) {
  static int counter = 0;
  const std::string stem = scratch + "/proc" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string out_path = stem + ".out", err_path = stem + ".err";
  ProcessResult r;
  // The child's environment and arguments are made here: after fork only exec-safe calls.
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) ::_exit(126);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  r.pid = pid;
  int status = 0;
  if (pid > 0 && ::wait4(pid, &status, 0, &r.usage) == pid) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  r.out = read_all(out_path);
  r.err = read_all(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

// Runs `program args...` with this process's environment, less the variables
// named in `unset`; `scratch` is a folder for the captured output files.
inline ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                                 const std::string& scratch, const std::vector<std::string>& unset = {}) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    bool keep = true;
    for (const auto& name : unset)
      if (std::string(*e).rfind(name + "=", 0) == 0) keep = false;
    if (keep) env.emplace_back(*e);
  }
  return run_process_with_env(program, args, scratch, env);
}

}  // namespace wellmonitor_test
