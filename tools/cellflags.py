"Which notebook cells a run outside nbdev_test skips: those flagged `#| slow` or `#| gpu`, unless asked for."
FLAGS = ('slow', 'gpu')


def skipped(src: str,  # a code cell's source
            run: set,  # the flags asked for, a subset of FLAGS
           ) -> bool:
    "True if the cell carries a flag of FLAGS that was not asked for."
    flags = {l.strip()[3:].strip() for l in src.splitlines() if l.strip().startswith('#|')}
    return bool(flags & (set(FLAGS) - set(run)))
