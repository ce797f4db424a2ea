# install(EXPORT) + package config/version + pkg-config file, so that both
# find_package(thpsim) and `pkg-config --libs thpsim` work from a prefix.
include(CMakePackageConfigHelpers)

install(TARGETS thpsim EXPORT thpsimTargets
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
	RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/thpsim
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT thpsimTargets NAMESPACE thpsim::
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/thpsim)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/thpsimConfig.cmake.in
	${PROJECT_BINARY_DIR}/thpsimConfig.cmake
	INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/thpsim)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/thpsimConfigVersion.cmake
	COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/thpsimConfig.cmake
	${PROJECT_BINARY_DIR}/thpsimConfigVersion.cmake
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/thpsim)

# Relocatable: the prefix is found from the .pc file's own folder, so
# `cmake --install --prefix P` works whatever prefix was configured.
file(RELATIVE_PATH THPSIM_PC_TO_PREFIX
	"/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/cmake/thpsim.pc.in
	${PROJECT_BINARY_DIR}/thpsim.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/thpsim.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
