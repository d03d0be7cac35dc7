/*
 * sigwork: the threads that ask registries about image signatures, so
 * that no event loop ever waits on one (h2o's loop cannot wait on
 * libcurl's sockets). A review whose verdicts are not all cached becomes a
 * job: a worker gathers them (sigcheck_run, bounded by the job's
 * deadline) and hands the job back to the event loop that took the
 * review, through h2o_multithread_send_message, which answers it.
 */
#ifndef ADMITD_SIGWORK_H
#define ADMITD_SIGWORK_H

#include <stddef.h>
#include <time.h>

#include <h2o.h>

#include "imgcheck.h"
#include "sigcheck.h"

struct admitd_config;

struct sigwork_job {
	h2o_multithread_message_t msg; /* first: the receiver gets &job->msg back */
	h2o_multithread_receiver_t *receiver;
	struct admitd_config *cfg; /* a reference, held until the job is freed */
	char **images;
	size_t nimages;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	struct sigcheck_results results;
	/* the image-contents policies' images and their facts */
	char **cimages;
	size_t ncimages;
	struct imgcheck_results contents;
	void *owner;      /* the event loop's own: its pending request, NULL once it is gone */
	void *owner_data; /* and what the event loop keeps beside it */
	struct sigwork_job *next;
};

/* Starts n workers. Returns 0, or -1 (errno). */
int sigwork_start(unsigned n);
/* Stops them; jobs still queued are handed back with no results (they fail closed). */
void sigwork_stop(void);
/* Queues a job; its receiver gets it back, results filled, when done. */
void sigwork_submit(struct sigwork_job *job);
/* Frees a job that came back (its cfg reference, images and results). */
void sigwork_job_free(struct sigwork_job *job);
/* Jobs queued or running: for metrics and tests. */
size_t sigwork_pending(void);

#endif
