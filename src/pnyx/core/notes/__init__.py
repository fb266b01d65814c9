"""Community notes: context that people who usually disagree both find helpful (issue 13).

- `vocabulary`: the fields and values of X's Community Notes data, by their published names;
- `matrix`, `scorer`: the bridging algorithm, a port of the core of X's published scorer;
- `writing`: who may write and rate, and the rules a note and a rating follow;
- `scoring_runs`: the periodic run that reads notes and ratings, scores, and keeps results;
- `shown`: which note a post shows, for the API, the web and the notifications;
- `data_files`: the open data as X's TSV files;
- `peers`, `received`: the servers this one exchanges notes with, and what they send.
"""
