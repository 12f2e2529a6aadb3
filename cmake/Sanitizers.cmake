# WELLMONITOR_SANITIZE: a comma-separated list of sanitizers (e.g.
# "address,undefined", the `asan` preset) every target of this build is
# compiled and linked with. Run the suite with tools/sanitize.sh, which sets
# the environment GStreamer and LibTorch need under them.
set(WELLMONITOR_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")

if(WELLMONITOR_SANITIZE)
  add_compile_options(-fsanitize=${WELLMONITOR_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${WELLMONITOR_SANITIZE})
endif()

# The fuzz preset: clang's coverage instrumentation for libFuzzer on every
# target, so that the harnesses in fuzz/ are guided through the project's
# code (the harnesses themselves link -fsanitize=fuzzer).
if(WELLMONITOR_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WELLMONITOR_FUZZ needs clang for libFuzzer: use the fuzz preset (clang++-14)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
