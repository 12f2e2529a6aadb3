#!/usr/bin/env bash
# Checks that the Meson mirror builds the same sources as CMake (the source of
# truth): lists every .c/.cc/.cpp/.cxx file named in the CMakeLists.txt files and
# in the meson.build files, and exits 1 listing the difference when they differ.
# Also checks that both name the same project version and that every
# meson.build is reached through subdir().
#
#   tools/check-meson-mirror.sh [--list] [SOURCE_ROOT]
#
# --list prints both lists. Paths are relative to the source root. Files are the
# tracked and untracked-but-not-ignored ones (build folders are ignored).
set -euo pipefail

list=0
if [ "${1:-}" = "--list" ]; then list=1; shift; fi
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root"

# Build files, skipping ignored folders (build trees, fetched dependencies).
build_files() { # NAME
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- "$1" "*/$1" |
      while read -r f; do [ -f "$f" ] && echo "$f"; done
  else
    find . -name "$1" -not -path './build*' -not -path './_build*' | sed 's|^\./||'
  fi | sort -u
}

# Source file names in one build file, as paths relative to the root.
# CMake: ${CMAKE_CURRENT_SOURCE_DIR}/ and ${PROJECT_SOURCE_DIR}/ prefixes are
# resolved, and a loop variable of foreach(VAR item...) is expanded over its items.
sources_in() { # FILE
  local file=$1 dir tok
  dir=$(dirname "$file")
  perl -0777 -ne '
    s/#[^\n]*//g;                                   # comments
    my %loop;
    while (/\bforeach\s*\(\s*(\w+)\s+(?:IN\s+ITEMS\s+)?([^)]*)\)/gi) {
      push @{$loop{$1}}, grep { length } split /\s+/, $2;
    }
    my %seen;
    while (/([\w.\/\$\{\}\@+-]+\.(?:cpp|cxx|cc|c))(?![\w.])/g) {
      my @names = ($1);
      if ($1 =~ /\$\{(\w+)\}/ && $loop{$1}) {
        my ($var, $tpl) = ($1, $names[0]);
        @names = map { (my $n = $tpl) =~ s/\$\{\Q$var\E\}/$_/g; $n } @{$loop{$var}};
      }
      print "$_\n" for grep { !$seen{$_}++ } @names;
    }' "$file" |
    while read -r tok; do
      case $tok in
        '${CMAKE_CURRENT_SOURCE_DIR}/'* | '${CMAKE_CURRENT_LIST_DIR}/'*)
          tok="$dir/${tok#*\}/}" ;;
        '${PROJECT_SOURCE_DIR}/'* | '${CMAKE_SOURCE_DIR}/'* | '${wellmonitor_SOURCE_DIR}/'*)
          tok="${tok#*\}/}" ;;
        *'$'* | *'@'*)
          echo "note: $file: $tok is generated or variable; not compared" >&2
          continue ;;
        /*) ;;
        *) tok="$dir/$tok" ;;
      esac
      realpath -m --relative-to="$root" "$root/$tok"
    done
}

cmake_files=$(build_files CMakeLists.txt)
meson_files=$(build_files meson.build)
[ -n "$cmake_files" ] || { echo "no CMakeLists.txt under $root" >&2; exit 1; }
[ -n "$meson_files" ] || { echo "no meson.build under $root" >&2; exit 1; }

status=0
for f in $cmake_files; do
  if grep -qE '^[^#]*file *\( *GLOB' "$f"; then
    echo "warning: $f uses file(GLOB); globbed sources are not compared" >&2
  fi
done

cmake_sources=$(for f in $cmake_files; do sources_in "$f"; done | sort -u)
meson_sources=$(for f in $meson_files; do sources_in "$f"; done | sort -u)

if [ "$list" = 1 ]; then
  echo "== CMake sources"; echo "$cmake_sources"
  echo "== Meson sources"; echo "$meson_sources"
fi

only_cmake=$(comm -23 <(echo "$cmake_sources") <(echo "$meson_sources"))
only_meson=$(comm -13 <(echo "$cmake_sources") <(echo "$meson_sources"))
if [ -n "$only_cmake" ]; then
  echo "Sources in CMakeLists.txt but not in meson.build:"
  echo "$only_cmake" | sed 's/^/  /'
  status=1
fi
if [ -n "$only_meson" ]; then
  echo "Sources in meson.build but not in CMakeLists.txt:"
  echo "$only_meson" | sed 's/^/  /'
  status=1
fi

# project(wellmonitor VERSION x) against project('wellmonitor', ..., version: 'x').
cmake_version=$(grep -oP '^\s*project\s*\([^)]*\bVERSION\s+\K[0-9][0-9.]*' CMakeLists.txt || true)
meson_version=$(tr '\n' ' ' <meson.build | grep -oP "\bproject\s*\([^)]*\bversion\s*:\s*'\K[^']+" || true)
if [ "$cmake_version" != "$meson_version" ]; then
  echo "Project version differs: CMake '$cmake_version', Meson '$meson_version'"
  status=1
fi

# Every meson.build below the root must be reached by a subdir() of a parent.
for f in $meson_files; do
  [ "$f" = meson.build ] && continue
  d=$(dirname "$f") reached=0 p=$d
  while [ "$p" != . ]; do
    p=$(dirname "$p")
    rel=$(realpath -m --relative-to="$root/$p" "$root/$d")
    # (grep reads all of sed's output: with -q it would stop at the first match
    # and, under pipefail, sed's SIGPIPE on a file over 4 KiB would fail the test)
    if [ -f "$p/meson.build" ] &&
       sed 's/#.*$//' "$p/meson.build" | grep -P "subdir\(\s*'\Q$rel\E'\s*\)" >/dev/null; then
      reached=1; break
    fi
  done
  if [ "$reached" = 0 ]; then
    echo "$f is not reached by any subdir()"
    status=1
  fi
done

if [ "$status" = 0 ]; then
  echo "Meson mirror OK: $(echo "$cmake_sources" | grep -c .) sources, version $cmake_version"
fi
exit $status
