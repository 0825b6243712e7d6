from observation.cli import main

raise SystemExit(main())
