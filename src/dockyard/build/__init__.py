"""Services the commands share to lock, plan and build images (commands/ import these, never
each other): ``load`` gives the plan, ``lock`` pins the base, ``images`` bakes, ``devimages``
keeps dev images current."""
