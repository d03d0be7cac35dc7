/*
 * sigwork.c: a fixed pool of worker threads and one queue (see sigwork.h).
 * A job takes milliseconds to seconds (registry round trips); one mutex
 * guards the queue, and single flight across jobs is sigcache's.
 */
#include "sigwork.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "config.h"

#define SIGWORK_MAX 64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct sigwork_job *head, *tail;
	size_t pending; /* queued or running */
	bool stop;
	pthread_t threads[SIGWORK_MAX];
	unsigned n;
} sigwork = {.lock = PTHREAD_MUTEX_INITIALIZER, .ready = PTHREAD_COND_INITIALIZER};

static void *sigwork_main(void *arg)
{
	(void)arg;
	/* every signal goes to the main thread's sigwait */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		pthread_mutex_lock(&sigwork.lock);
		while (!sigwork.stop && sigwork.head == NULL)
			pthread_cond_wait(&sigwork.ready, &sigwork.lock);
		struct sigwork_job *job = sigwork.head;
		if (job == NULL) { /* stopping, nothing left */
			pthread_mutex_unlock(&sigwork.lock);
			return NULL;
		}
		sigwork.head = job->next;
		if (sigwork.head == NULL)
			sigwork.tail = NULL;
		bool stopping = sigwork.stop;
		pthread_mutex_unlock(&sigwork.lock);
		/* while stopping, a queued job goes back unverified: it fails closed */
		if (!stopping) {
			if (job->nimages > 0)
				sigcheck_run(job->cfg, job->images, job->nimages, job->deadline,
					     &job->results);
			if (job->ncimages > 0)
				imgcheck_run(job->cfg, job->cimages, job->ncimages, job->deadline,
					     &job->contents);
		}
		pthread_mutex_lock(&sigwork.lock);
		sigwork.pending--;
		pthread_mutex_unlock(&sigwork.lock);
		h2o_multithread_send_message(job->receiver, &job->msg);
	}
}

int sigwork_start(unsigned n)
{
	if (n > SIGWORK_MAX)
		n = SIGWORK_MAX;
	sigwork.stop = false;
	for (sigwork.n = 0; sigwork.n < n; sigwork.n++)
		if (pthread_create(&sigwork.threads[sigwork.n], NULL, sigwork_main, NULL) != 0) {
			sigwork_stop();
			return -1;
		}
	return 0;
}

void sigwork_stop(void)
{
	pthread_mutex_lock(&sigwork.lock);
	sigwork.stop = true;
	pthread_cond_broadcast(&sigwork.ready);
	pthread_mutex_unlock(&sigwork.lock);
	for (unsigned i = 0; i < sigwork.n; i++)
		pthread_join(sigwork.threads[i], NULL);
	sigwork.n = 0;
}

void sigwork_submit(struct sigwork_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&sigwork.lock);
	if (sigwork.tail != NULL)
		sigwork.tail->next = job;
	else
		sigwork.head = job;
	sigwork.tail = job;
	sigwork.pending++;
	pthread_cond_signal(&sigwork.ready);
	pthread_mutex_unlock(&sigwork.lock);
}

void sigwork_job_free(struct sigwork_job *job)
{
	if (job == NULL)
		return;
	sigcheck_images_free(job->images, job->nimages);
	sigcheck_results_free(&job->results);
	imgcheck_images_free(job->cimages, job->ncimages);
	imgcheck_results_free(&job->contents);
	config_unref(job->cfg);
	free(job);
}

size_t sigwork_pending(void)
{
	pthread_mutex_lock(&sigwork.lock);
	size_t n = sigwork.pending;
	pthread_mutex_unlock(&sigwork.lock);
	return n;
}
