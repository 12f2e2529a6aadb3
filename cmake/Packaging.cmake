# The Debian package (CPack's DEB generator): `cpack -G DEB` in a build tree
# configured with -DCMAKE_INSTALL_PREFIX=/usr (tools/make-deb.sh does it all)
# gives wellmonitor_VERSION_ARCH.deb with the programs, the GStreamer plugin in
# GStreamer's plugin folder, the default model, the pipelines, the systemd unit,
# the example config under /etc/wellmonitor and the site's broker and Prometheus
# configurations. Its dependencies are Debian's runtime packages: the shared
# libraries' from dpkg-shlibdeps, and the GStreamer elements the pipelines use.
set(CPACK_PACKAGE_NAME "wellmonitor")
set(CPACK_PACKAGE_VENDOR "wellmonitor")
set(CPACK_PACKAGE_CONTACT "wellmonitor maintainers <wellmonitor@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "A GStreamer plugin (wellmonitor, welloverlay, wellpublish), the runner
 wellmonitor-run with a systemd unit per camera, Prometheus metrics and MQTT
 events, and the trainer wellmonitor-trainer.")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "video")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Elements the pipelines build by name (decodebin, videoconvert, rtspsrc,
# avdec_h264, ...), which no library link shows.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "gstreamer1.0-plugins-base, gstreamer1.0-plugins-good, gstreamer1.0-libav, libopenblas0-openmp | libopenblas0")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gstreamer1.0-plugins-ugly, gstreamer1.0-plugins-bad, mosquitto")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, mosquitto-clients")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/deploy/debian/conffiles;${PROJECT_SOURCE_DIR}/deploy/debian/postinst;${PROJECT_SOURCE_DIR}/deploy/debian/prerm;${PROJECT_SOURCE_DIR}/deploy/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# The paths compiled into the programs (the default model, the scripts) are
# the configured prefix's: a package for /usr needs a build for /usr.
set(WELLMONITOR_CONFIGURED_PREFIX "${CMAKE_INSTALL_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/CPackProjectConfig.cmake.in ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake")

include(CPack)
