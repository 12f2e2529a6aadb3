# wellmonitor_warnings: the warnings every library, tool, test and bench of
# the project is built with. Link it PRIVATE; WELLMONITOR_WERROR (the `dev`
# preset) turns them into errors. Third-party headers come in as system
# headers (-isystem) and stay quiet.
option(WELLMONITOR_WERROR "Treat compiler warnings as errors" OFF)

add_library(wellmonitor_warnings INTERFACE)
target_compile_options(wellmonitor_warnings INTERFACE
  -Wall -Wextra
  $<$<BOOL:${WELLMONITOR_WERROR}>:-Werror>)
