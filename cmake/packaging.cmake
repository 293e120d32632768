# Install layout and the Debian package (cpack -G DEB in a Release build directory):
#   /usr/bin/rihla, /usr/lib/systemd/system/rihla.service, /etc/rihla/rihla.env (a conffile),
#   /usr/share/doc/rihla/README.md. Migrations are embedded in the binary.
# scripts/package-test.sh builds, installs, runs and removes the package.
include(GNUInstallDirs)

install(TARGETS rihla RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/rihla.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/rihla.env DESTINATION /etc/rihla PERMISSIONS OWNER_READ OWNER_WRITE
                                                                                   GROUP_READ)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rihla)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Flight-booking HTTP/JSON API server")
set(CPACK_PACKAGE_DESCRIPTION
    "rihla serves flight search, bookings with seat holds and payment webhooks over HTTP/JSON,\nwith exactly-once bookings under retries, on SQLite, PostgreSQL or MySQL/MariaDB.")
set(CPACK_PACKAGE_CONTACT "rihla maintainers <rihla@localhost>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # rihla_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries the binary links
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)  # /etc/rihla is absolute on purpose
include(CPack)
