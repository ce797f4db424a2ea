# THPSIM_SANITIZE applies to every target of this project.
if(THPSIM_SANITIZE)
	add_compile_options(-fsanitize=${THPSIM_SANITIZE} -fno-omit-frame-pointer
		-fno-sanitize-recover=all)
	add_link_options(-fsanitize=${THPSIM_SANITIZE})
	if(THPSIM_SANITIZE MATCHES "thread")
		add_compile_definitions(THPSIM_TSAN=1)
	endif()
endif()
