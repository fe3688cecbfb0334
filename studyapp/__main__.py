"""``python -m studyapp`` runs the same entry point as the ``studyapp`` script."""

from studyapp.cli.main import main

raise SystemExit(main())
